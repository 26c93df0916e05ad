"""Write a deployment config by answering questions, or from flags: ./scripts/configure.

Each question has a flag; a question whose flag is given is not asked, and ``--non-interactive``
asks nothing (defaults fill the rest). Answers are checked by the config schema as they come, so
a refused answer says why, as the synth would, and is asked again. The file is validated with
``load_config`` before it is moved into place, and an existing file is kept unless ``--force``.

Exit status: 0 when the config was written, 1 when cancelled or not writable, 2 for a bad flag or
input that ended before the questions did.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from lambda_src.bedrock_ids import ModelIdError, parse_model_ref
from modules import bedrock_catalog
from modules import sagemaker_catalog as catalog
from modules.config import BedrockModel, ConfigError, load_config
from modules.sagemaker_config import HuggingFaceEndpoint, HuggingFaceToken
from operator_tools.config_draft import (
    AZURE,
    AZURE_EXAMPLE_MODEL,
    PROVIDERS,
    ConfigDraft,
    Refused,
    check_field,
    check_instance_type,
    is_jumpstart,
    optional_secret_keys,
    parse_bedrock_model,
    parse_model_list,
    parse_third_party,
    secret_keys,
)
from operator_tools.config_draft import parse_sagemaker_model as _parse_sm
from operator_tools.prompter import InputEnded, Prompter

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
DEFAULT_INSTANCE = "ml.g5.2xlarge"
# The closing note's Azure example: the fixed API type and the endpoint's form (no key values).
_AZURE_EXAMPLE_VALUES = {
    "AZURE_OPENAI_API_TYPE": "azure",
    "AZURE_OPENAI_API_BASE": "https://<resource>.openai.azure.com/",
}


class FlagError(Exception):
    """A flag value the schema refuses; ``str()`` names the flag and the reasons."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="scripts/configure",
        description="Write a deployment config: asks for what the flags do not give.",
    )
    p.add_argument("-o", "--output", help="config file to write (default: config/<prefix>.json)")
    p.add_argument("--force", action="store_true", help="overwrite the output file if it exists")
    p.add_argument("--non-interactive", action="store_true", help="ask nothing: flags and defaults only")
    p.add_argument("--prefix", help="prefix of every resource name (required with --non-interactive)")
    p.add_argument("--region", help="deployment region (required with --non-interactive)")
    p.add_argument("--stage", help="dev or prod (default prod)")
    p.add_argument("--bedrock-region", help="region the function calls Bedrock in (default: --region)")
    p.add_argument(
        "--bedrock-model",
        action="append",
        default=[],
        metavar="SPEC",
        help="MODEL_ID, PUBLIC_ID=MODEL_ID, or a JSON object of one bedrock.models[] entry (repeatable)",
    )
    p.add_argument(
        "--cross-account-role",
        metavar="ROLE_ARN",
        help="role in a model-hosting account the function assumes to call the Bedrock models",
    )
    p.add_argument("--external-id", help="external id the cross-account role requires")
    p.add_argument(
        "--sagemaker-hf",
        action="append",
        default=[],
        metavar="HF_MODEL_ID:INSTANCE_TYPE[:NAME]",
        help="a Hugging Face Hub model on the TGI container (repeatable)",
    )
    p.add_argument(
        "--sagemaker-jumpstart",
        action="append",
        default=[],
        metavar="MODEL_ID:INSTANCE_TYPE[:NAME]",
        help=f"a curated JumpStart model ({', '.join(catalog.jumpstart_model_ids())}) (repeatable)",
    )
    p.add_argument(
        "--accept-eula",
        action="store_true",
        help="accept the licenses of the gated models given with --sagemaker-jumpstart",
    )
    p.add_argument(
        "--hf-token-secret-arn", metavar="ARN", help="Secrets Manager secret holding the Hub token"
    )
    p.add_argument(
        "--hf-token-json-key", metavar="KEY", help="its JSON key, if it holds a JSON object (HF_TOKEN)"
    )
    p.add_argument(
        "--third-party",
        action="append",
        default=[],
        metavar="PROVIDER[:MODEL[,MODEL...]]",
        help=f"a third-party provider ({', '.join(PROVIDERS)}) and the models to expose through it, "
        f"each MODEL or PUBLIC_ID=MODEL; {AZURE} takes no models (its deployments are listed in the "
        "API-keys secret) (repeatable)",
    )
    p.add_argument(
        "--admin-principal",
        action="append",
        default=[],
        metavar="ARN",
        help="IAM role or user ARN (repeatable)",
    )
    p.add_argument(
        "--override-role",
        action="append",
        default=[],
        metavar="ARN",
        help="overrides.allowed_role_arns: a role a runtime override may assume (stage dev only; repeatable)",
    )
    p.add_argument("-y", "--yes", action="store_true", help="write without asking for a final confirmation")
    return p


class Wizard:
    def __init__(self, args: argparse.Namespace, prompter: Prompter, interactive: bool) -> None:
        self.args = args
        self.p = prompter
        self.interactive = interactive
        self.draft = ConfigDraft()

    def flag(self, name: str, value: str, apply: Callable[[str], object]) -> None:
        try:
            apply(value)
        except Refused as err:
            reasons = "\n  ".join(str(err).splitlines())
            raise FlagError(f"{name} {value!r} refused:\n  {reasons}") from None

    # --- the questions, in order -----------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        self.basics()
        self.bedrock()
        self.sagemaker()
        self.third_party()
        self.admins()
        self.overrides()
        return self.draft.result()

    def basics(self) -> None:
        d, a = self.draft, self.args
        env_region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        for key, flag, prompt, default in (
            ("prefix", a.prefix, "Prefix for every resource name (lower case, digits, hyphens)", "llm"),
            ("region", a.region, "AWS region to deploy in", env_region),
            ("stage", a.stage, "Stage: dev (allows runtime overrides) or prod", "prod"),
        ):
            setter = functools.partial(d.set_scalar, key)
            if flag is not None:
                self.flag(f"--{key}", flag, setter)
            elif self.interactive:
                self.p.ask(prompt, default=default, accept=setter)
            elif key == "stage":
                d.set_scalar("stage", default)
            else:
                raise FlagError(f"--{key} is required with --non-interactive")

    def bedrock(self) -> None:
        d, a = self.draft, self.args
        if a.bedrock_region is not None:
            self.flag("--bedrock-region", a.bedrock_region, d.set_bedrock_region)
        for spec in a.bedrock_model:
            self.flag("--bedrock-model", spec, lambda v: d.add_bedrock_model(parse_bedrock_model(v)))
        if self.interactive and not a.bedrock_model:
            self.p.say("\nBedrock models (model ids, cross-region inference profile ids such as")
            self.p.say("us.anthropic.claude-haiku-4-5-20251001-v1:0, or model / profile ARNs).")
            if a.bedrock_region is None:
                self.p.ask(
                    "Region the function calls Bedrock in", default=d.region, accept=d.set_bedrock_region
                )
            while self.ask_bedrock_model():
                pass
        if a.cross_account_role is not None:
            self.flag(
                "--cross-account-role", a.cross_account_role, lambda v: d.set_bedrock_role(v, a.external_id)
            )
        elif a.external_id is not None:
            raise FlagError("--external-id is only used together with --cross-account-role")
        elif self.interactive and d.bedrock_models() and not any("role_arn" in m for m in d.bedrock_models()):
            role = self.p.ask(
                "Role ARN to assume for these models, if they are in another account (empty: this account)",
                accept=_unless_empty(lambda v: d.set_bedrock_role(v, None)),
            )
            if role:
                self.p.ask(
                    "External id that role requires (empty: none)",
                    accept=lambda v: d.set_bedrock_role(role, v or None),
                )

    def ask_bedrock_model(self) -> bool:
        """One model; False on the empty answer that ends the list."""

        def parses(value: str) -> None:
            if value:
                try:
                    parse_model_ref(value)
                except ModelIdError as err:
                    raise Refused(f"model_id: {err}") from None

        model_id = self.p.ask("Bedrock model (empty line: done)", accept=parses)
        if not model_id:
            return False
        ref = parse_model_ref(model_id)
        entry: dict[str, Any] = {}

        def public_id(value: str) -> None:
            check_field(BedrockModel, "id", value, "id")

        if ref.is_arn:
            entry["id"] = self.p.ask('Public id callers use for it ("model" in requests)', accept=public_id)
        else:
            chosen = self.p.ask("Public id callers use for it", default=model_id, accept=public_id)
            if chosen != model_id:
                entry["id"] = chosen
        entry["model_id"] = model_id
        if ref.provider is None:
            entry["base_model_provider"] = self.p.ask(
                "Its model family (base_model_provider, e.g. anthropic, meta, amazon)",
                accept=lambda v: check_field(BedrockModel, "base_model_provider", v, "base_model_provider"),
            )
        if ref.kind == "application-inference-profile":

            def arns(value: str) -> None:
                check_field(BedrockModel, "foundation_model_arns", _split(value), "foundation_model_arns")
                if not _split(value):
                    raise Refused("foundation_model_arns: give at least one foundation-model ARN")

            entry["foundation_model_arns"] = _split(
                self.p.ask("Foundation-model ARNs the profile routes to (comma-separated)", accept=arns)
            )
        try:
            self.draft.add_bedrock_model(entry)
        except Refused as err:
            self.p.refuse(err)
        return True

    def sagemaker(self) -> None:
        d, a = self.draft, self.args
        for flag, specs in (
            ("--sagemaker-hf", a.sagemaker_hf),
            ("--sagemaker-jumpstart", a.sagemaker_jumpstart),
        ):
            for spec in specs:
                self.flag(flag, spec, functools.partial(self._endpoint_from_flag, flag))
        if self.interactive and not (a.sagemaker_hf or a.sagemaker_jumpstart):
            self.p.say("\nSageMaker endpoints: a Hugging Face Hub model on the TGI container, or a curated")
            self.p.say("JumpStart model. Each runs on accelerator instances billed per hour; raise the")
            self.p.say("instance type's endpoint-usage quota first (./scripts/preflight checks it).")
            for model_id in catalog.jumpstart_model_ids():
                spec = catalog.jumpstart_spec(model_id)
                instance = spec.default_instance_type or "no default instance recorded"
                gated = ", license to accept" if spec.gated else ""
                self.p.say(f"  {model_id} ({instance}{gated})")
            while self.ask_endpoint():
                pass
        if a.hf_token_secret_arn is not None:
            self.flag(
                "--hf-token-secret-arn",
                a.hf_token_secret_arn,
                lambda v: d.set_hf_token(v, a.hf_token_json_key),
            )
        elif a.hf_token_json_key is not None:
            raise FlagError("--hf-token-json-key is only used together with --hf-token-secret-arn")
        elif self.interactive and d.has_huggingface_endpoint():

            def arn(value: str) -> None:
                if value:
                    check_field(
                        HuggingFaceToken, "secret_arn", value, "sagemaker.huggingface_token.secret_arn"
                    )

            secret = self.p.ask(
                "Secrets Manager ARN of your Hugging Face token, needed for gated models (empty: none)",
                accept=arn,
            )
            if secret:
                self.p.ask(
                    "Key holding the token if the secret is a JSON object (plain text: keep the default)",
                    default="HF_TOKEN",
                    accept=lambda v: d.set_hf_token(secret, None if v == "HF_TOKEN" else v),
                )

    def _endpoint_from_flag(self, flag: str, spec: str) -> None:
        model_id, instance, name = _parse_sm(spec)
        if flag == "--sagemaker-jumpstart" and not is_jumpstart(model_id):
            raise Refused(
                f"{model_id!r} is not a curated JumpStart model: {', '.join(catalog.jumpstart_model_ids())}"
            )
        if flag == "--sagemaker-hf" and is_jumpstart(model_id):
            raise Refused(f"{model_id!r} is a JumpStart model id: use --sagemaker-jumpstart")
        entry = self.draft.endpoint_entry(model_id, instance, name, accept_eula=self.args.accept_eula)
        self.draft.add_endpoint(entry)

    def ask_endpoint(self) -> bool:
        """One endpoint; False on the empty answer that ends the list."""

        def known(value: str) -> None:
            if value and not is_jumpstart(value):
                check_field(HuggingFaceEndpoint, "hf_model_id", value, "hf_model_id")

        model_id = self.p.ask(
            "SageMaker model: Hugging Face id (org/name) or a JumpStart id above (empty line: done)",
            accept=known,
        )
        if not model_id:
            return False
        spec = catalog.jumpstart_spec(model_id) if is_jumpstart(model_id) else None
        default = spec.default_instance_type if spec else DEFAULT_INSTANCE

        def instance_type(value: str) -> None:
            if not value and default is None:
                raise Refused(
                    f"instance_type: the curated table records no default instance for {model_id} "
                    "(no source gives JumpStart's default for that entry); name an instance type"
                )
            check_instance_type(value)

        instance = self.p.ask("Instance type", default=default, accept=instance_type)
        name = self.p.ask(
            "Endpoint name (the endpoint is <prefix>-<name>)",
            default=self.draft.endpoint_name(model_id),
            accept=lambda v: self.draft.check_endpoint(
                self.draft.endpoint_entry(model_id, instance, v, accept_eula=True)
            ),
        )
        eula = False
        if spec is not None and spec.gated:
            eula = self.p.yes(
                f"{model_id} is gated: have you read its license, and do you accept it?", default=False
            )
            if not eula:
                self.p.say("  not added: a gated model needs its license accepted")
                return True
        try:
            self.draft.add_endpoint(self.draft.endpoint_entry(model_id, instance, name, accept_eula=eula))
        except Refused as err:
            self.p.refuse(err)
        return True

    def third_party(self) -> None:
        d = self.draft
        unanswered: list[str] = []  # named by a flag without models: asked for in interactive mode

        def from_flag(spec: str) -> None:
            provider, models = parse_third_party(spec)
            if models is None and provider != AZURE and self.interactive:
                unanswered.extend(p for p in d.check_providers([provider]) if p not in unanswered)
                return
            try:
                d.add_third_party(provider, models)
            except Refused as err:
                if models is None and provider in PROVIDERS:
                    hint = f"give the models to expose: --third-party {provider}:MODEL[,MODEL...]"
                    raise Refused(f"{err}\n{hint}") from None
                raise

        for spec in self.args.third_party:
            self.flag("--third-party", spec, from_flag)
        if not self.interactive:
            return
        if not self.args.third_party:
            self.p.say(f"\nThird-party providers, called with keys from the secret {d.prefix}/api-keys.")
            answer = self.p.ask(
                f"Third-party providers you will use, comma-separated ({', '.join(PROVIDERS)}; empty: none)",
                accept=lambda v: d.check_providers(_split(v)),
            )
            for provider in d.check_providers(_split(answer)):
                if provider == AZURE:
                    d.add_third_party(provider, None)
                    self.p.say(f"  {AZURE}: its deployments are listed in the API-keys secret, not here")
                else:
                    unanswered.append(provider)
        for provider in unanswered:
            if provider in d.third_party_providers():
                continue
            self.p.ask(
                f"Models to expose through {provider}, comma-separated (MODEL, or PUBLIC_ID=MODEL "
                "for another public id)",
                accept=lambda v, provider=provider: d.add_third_party(provider, parse_model_list(v)),
            )

    def admins(self) -> None:
        for arn in self.args.admin_principal:
            self.flag("--admin-principal", arn, self.draft.add_admin_principal)
        if self.interactive and not self.args.admin_principal:
            self.p.say("\nAdmin principals may send runtime model overrides (dev stage only).")
            while self.p.ask(
                "Admin principal: IAM role or user ARN (empty line: done)",
                accept=_unless_empty(self.draft.add_admin_principal),
            ):
                pass

    def overrides(self) -> None:
        for arn in self.args.override_role:
            self.flag("--override-role", arn, self.draft.add_override_role)
        if self.interactive and not self.args.override_role and self.draft.data.get("stage") == "dev":
            self.p.say("\nRuntime overrides: roles an admin's custom model spec may assume (dev stage only).")
            while self.p.ask(
                "Override role: IAM role ARN (empty line: done)",
                accept=_unless_empty(self.draft.add_override_role),
            ):
                pass

    def providers_note(self) -> str:
        """Which keys each enabled provider needs in the API-keys secret; names only, never a value."""
        providers = self.draft.third_party_providers()
        if not providers:
            return ""
        secret = f"{self.draft.prefix}/api-keys"
        lines = [
            f"note: the third-party providers read their keys from the secret {secret} (the first apply "
            "creates it as {}) as one JSON object of key names and string values. Keys per provider:"
        ]
        example: dict[str, str] = {}
        for provider in providers:
            keys = secret_keys(provider)
            if provider == AZURE:
                per_model = secret_keys(AZURE, "<Model>")[1:]
                lines.append(
                    f"  {AZURE}: {keys[0]} (your model names, comma-separated) and for each name <Model>:"
                )
                lines.append(f"    {', '.join(per_model)}")
                example[keys[0]] = AZURE_EXAMPLE_MODEL
                example.update({k: _AZURE_EXAMPLE_VALUES.get(k.split("__")[0], "...") for k in keys[1:]})
            else:
                optional = ", ".join(optional_secret_keys(provider))
                lines.append(
                    f"  {provider}: {', '.join(keys)}" + (f" (optional: {optional})" if optional else "")
                )
                example.update({k: "..." for k in keys})
        azure = f", with one Azure model named {AZURE_EXAMPLE_MODEL}" if AZURE in providers else ""
        lines += [
            f"Write the object to a file, api-keys.json for example (your values for ...{azure}):",
            *(f"  {line}" for line in json.dumps(example, indent=2).splitlines()),
            "then put it in (this replaces the whole object: include every key):",
            f"  aws secretsmanager put-secret-value --region {self.draft.region} --secret-id {secret} "
            "--secret-string file://api-keys.json",
        ]
        return "\n".join(lines)


def _unless_empty(accept: Callable[[str], object]) -> Callable[[str], object]:
    """``accept``, except that the empty answer (ending a list, or "none") is always taken."""
    return lambda value: None if value == "" else accept(value)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def check_output(path: Path, force: bool) -> None:
    if path.is_dir():
        raise Refused(f"{path} is a folder; give a file name (e.g. {path / 'my-config.json'})")
    if not path.parent.is_dir():
        raise Refused(f"folder {path.parent} does not exist")
    if path.exists() and not force:
        raise Refused(f"{path} exists; choose another file, or pass --force to overwrite it")


def write_config(data: dict[str, Any], path: Path) -> None:
    """Write atomically, only after ``load_config`` accepts the very file."""
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.write(json.dumps(data, indent=2) + "\n")
        load_config(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def main(argv: list[str] | None = None, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    args = _parser().parse_args(argv)
    stdin, out = stdin or sys.stdin, out or sys.stdout
    prompter = Prompter(stdin, out)
    wizard = Wizard(args, prompter, interactive=not args.non_interactive)
    try:
        data = wizard.run()
        if args.output is not None:
            path = Path(args.output)
            wizard.flag("--output", args.output, lambda v: check_output(Path(v), args.force))
        elif wizard.interactive:
            answer = prompter.ask(
                "\nWrite the config to",
                default=_display(CONFIG_DIR / f"{data['prefix']}.json"),
                accept=lambda v: check_output(Path(v), args.force),
            )
            path = Path(answer)
        else:
            path = CONFIG_DIR / f"{data['prefix']}.json"
            wizard.flag("--output", str(path), lambda v: check_output(Path(v), args.force))
        if wizard.interactive and not args.yes:
            prompter.say("\n" + json.dumps(data, indent=2))
            if not prompter.yes(f"Write this to {_display(path)}?", default=True):
                print("cancelled: nothing written", file=sys.stderr)
                return 1
    except (FlagError, InputEnded) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except Refused as err:  # the draft as a whole (should not happen: each answer was checked)
        print(f"error: the config is not valid:\n{err}", file=sys.stderr)
        return 2
    try:
        write_config(data, path)
    except (OSError, ConfigError) as err:
        print(f"error: cannot write {path}: {err}", file=sys.stderr)
        return 1
    prompter.say(f"wrote {_display(path)}")
    for lifecycle in load_config(path).lifecycle_notes():
        prompter.say(
            f"warning: {lifecycle} (checked {bedrock_catalog.CHECKED}; preflight reads the live status)"
        )
    note = wizard.providers_note()
    if note:
        prompter.say(note)
    prompter.say(
        f"next: ./scripts/preflight --config {_display(path)}, then ./scripts/synth --config {_display(path)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
