"""A private, encrypted, versioned S3 bucket for model archives the synth builds (custom code).

Every object is uploaded only once the bucket's settings are in place: an object written before
the encryption setting is stored with the default encryption, and one written before versioning
has no version id, which leaves the bucket impossible to destroy.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import AssetType, ITerraformDependable, TerraformAsset
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from cdktf_cdktf_provider_aws.s3_object import S3Object
from constructs import Construct

from modules.packaging import ModelArchive


@dataclass(frozen=True)
class ModelArtifactsProps:
    bucket_prefix: str
    noncurrent_version_days: int = 30


# The bucket's name as Terraform knows it (logical id "model_artifacts"); the provider appends 26
# characters to the prefix.
BUCKET_NAME = "${aws_s3_bucket.model_artifacts.bucket}"
BUCKET_NAME_SUFFIX = 26


@dataclass(frozen=True)
class UploadedArchive:
    # s3:// URI for the model: it references the object, so the model waits for the upload.
    model_uri: str
    # The same location by bucket and key, for IAM statements (known length at synth).
    iam_uri: str


class ModelArtifacts(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: ModelArtifactsProps) -> None:
        super().__init__(scope, id_)
        self.bucket = S3Bucket(self, "bucket", bucket_prefix=props.bucket_prefix, force_destroy=False)
        self.bucket.override_logical_id("model_artifacts")
        public_access = S3BucketPublicAccessBlock(
            self,
            "public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        ownership = S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=self.bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        versioning = S3BucketVersioningA(
            self,
            "versioning",
            bucket=self.bucket.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )
        encryption = S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=self.bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=(
                        S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                            sse_algorithm="aws:kms"
                        )
                    ),
                    bucket_key_enabled=True,
                )
            ],
        )
        lifecycle = S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=self.bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="old-archives",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=props.noncurrent_version_days
                        )
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                            days_after_initiation=7
                        )
                    ],
                )
            ],
            # Noncurrent-version rules apply to a versioned bucket (the provider's advice).
            depends_on=[versioning],
        )
        for construct in (public_access, ownership, versioning, encryption, lifecycle):
            construct.override_logical_id("model_artifacts")
        self.settings: list[ITerraformDependable] = [public_access, ownership, versioning, encryption]

    def upload(self, name: str, archive: ModelArchive) -> UploadedArchive:
        """Upload ``archive`` (keyed by its hash) once the bucket's settings are in place."""
        asset = TerraformAsset(self, f"{name}-archive", path=str(archive.path), type=AssetType.FILE)
        key = f"custom-code/{name}/{archive.sha256[:16]}/model.tar.gz"
        logical = name.replace("-", "_")
        obj = S3Object(
            self,
            f"{name}-object",
            bucket=self.bucket.id,
            key=key,
            source=asset.path,
            source_hash=archive.sha256,
            depends_on=self.settings,
        )
        obj.override_logical_id(logical)
        return UploadedArchive(
            model_uri=f"s3://${{aws_s3_object.{logical}.bucket}}/${{aws_s3_object.{logical}.key}}",
            iam_uri=f"s3://{BUCKET_NAME}/{key}",
        )
