#!/usr/bin/env python3
"""
Sets up on a moto_server, with boto3 (the aws CLI's library), the cross-account replication parts that the Ceph server
drops or lacks, for the ReplicationHealth suite:

- an IAM role trusting s3.amazonaws.com whose only permission policy is an attached managed policy (AWS's documented
  replication permissions), read back through ListAttachedRolePolicies, GetPolicy and GetPolicyVersion;
- a versioned source bucket with SSE-KMS default encryption and rules without SourceSelectionCriteria whose Role moto
  keeps, as AWS does (Ceph RGW drops it);
- three versioned backup buckets: "writer" (ObjectWriter ownership; its rule overrides the owner, and its bucket policy
  grants the role s3:ReplicateObject but not s3:ObjectOwnerOverrideToBucketOwner), "enforced" (BucketOwnerEnforced)
  and "preferred" (BucketOwnerPreferred, no owner override: replicas would stay the source account's).

moto 5.2.1 answers DeleteMarkerReplication Disabled whatever was PUT, so the owner override is what makes a cross-account
action the bucket policy must grant.

moto answers every request in its default account 123456789012, the backup account here. The configuration's role ARN
names the source account 111122223333 (moto stores it as given; IAM reads go by the role's name), which is what makes
the backup bucket's policy a cross-account grant to be checked. Prints the names as JSON.
"""
import json
import sys

import boto3

endpoint, prefix = sys.argv[1:3]
keys = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="moto", aws_secret_access_key="moto")
s3 = boto3.client("s3", **keys)
iam = boto3.client("iam", **keys)

role_name = f"{prefix}-replication"
source = f"{prefix}-source"
writer = f"{prefix}-writer"
enforced = f"{prefix}-enforced"
preferred = f"{prefix}-preferred"
role_arn = f"arn:aws:iam::111122223333:role/{role_name}"

iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
policy = iam.create_policy(PolicyName=f"{prefix}-replication-permissions", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"], "Resource": [f"arn:aws:s3:::{source}"]},
        {"Effect": "Allow", "Action": ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
         "Resource": [f"arn:aws:s3:::{source}/*"]},
        {"Effect": "Allow", "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
         "Resource": [f"arn:aws:s3:::{name}/*" for name in (writer, enforced, preferred)]},
        {"Effect": "Allow", "Action": "s3:ObjectOwnerOverrideToBucketOwner", "Resource": f"arn:aws:s3:::{writer}/*"},
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*"},
    ]}))
iam.attach_role_policy(RoleName=role_name, PolicyArn=policy["Policy"]["Arn"])

for bucket in (source, writer, enforced, preferred):
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
s3.put_bucket_encryption(Bucket=source, ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {
    "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "arn:aws:kms:us-east-1:111122223333:key/source-key"}}]})
s3.put_bucket_ownership_controls(Bucket=writer, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
s3.put_bucket_ownership_controls(Bucket=enforced, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
s3.put_bucket_ownership_controls(Bucket=preferred, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]})
s3.put_bucket_policy(Bucket=writer, Policy=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Sid": "ReplicasFromSource", "Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": "s3:ReplicateObject",
                   "Resource": f"arn:aws:s3:::{writer}/*"}]}))


def rule(rule_id, destination, priority, owner_override=False):
    target = {"Bucket": f"arn:aws:s3:::{destination}", "Account": "123456789012"}
    if owner_override:
        target["AccessControlTranslation"] = {"Owner": "Destination"}
    return {"ID": rule_id, "Priority": priority, "Status": "Enabled", "Filter": {"Prefix": ""},
            "DeleteMarkerReplication": {"Status": "Disabled"}, "Destination": target}


s3.put_bucket_replication(Bucket=source, ReplicationConfiguration={
    "Role": role_arn,
    "Rules": [rule("ToWriter", writer, 3, owner_override=True), rule("ToEnforced", enforced, 2), rule("ToPreferred", preferred, 1)]})
print(json.dumps({"Role": role_arn, "RoleName": role_name, "Source": source, "Writer": writer, "Enforced": enforced, "Preferred": preferred}))
