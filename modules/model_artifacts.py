"""A private, encrypted, versioned S3 bucket for model archives the synth builds (custom code)."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import AssetType, TerraformAsset
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


class ModelArtifacts(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: ModelArtifactsProps) -> None:
        super().__init__(scope, id_)
        self.bucket = S3Bucket(self, "bucket", bucket_prefix=props.bucket_prefix, force_destroy=False)
        self.bucket.override_logical_id("model_artifacts")
        for construct in (
            S3BucketPublicAccessBlock(
                self,
                "public-access",
                bucket=self.bucket.id,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
            ),
            S3BucketOwnershipControls(
                self,
                "ownership",
                bucket=self.bucket.id,
                rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
            ),
            S3BucketVersioningA(
                self,
                "versioning",
                bucket=self.bucket.id,
                versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
            ),
            S3BucketServerSideEncryptionConfigurationA(
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
            ),
            S3BucketLifecycleConfiguration(
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
            ),
        ):
            construct.override_logical_id("model_artifacts")

    def upload(self, name: str, archive: ModelArchive) -> str:
        """Upload ``archive`` (keyed by its hash); returns its s3:// URI as a Terraform string."""
        asset = TerraformAsset(self, f"{name}-archive", path=str(archive.path), type=AssetType.FILE)
        key = f"custom-code/{name}/{archive.sha256[:16]}/model.tar.gz"
        obj = S3Object(
            self,
            f"{name}-object",
            bucket=self.bucket.id,
            key=key,
            source=asset.path,
            source_hash=archive.sha256,
        )
        obj.override_logical_id(name.replace("-", "_"))
        return f"s3://{self.bucket.bucket}/{key}"
