#!/usr/bin/env python3
"""
Resolves a profile's credentials the way the aws CLI does (botocore, from the same files, HOME and AWS_* variables
as the caller) and prints the access key id it obtained, and nothing secret, as JSON.
"""
import json
import sys

import botocore.session

profile = sys.argv[1]
session = botocore.session.Session(profile=profile)
credentials = session.get_credentials()
if credentials is None:
    sys.exit(f"botocore found no credentials for profile {profile}")
print(json.dumps({"accessKeyId": credentials.get_frozen_credentials().access_key, "method": credentials.method}))
