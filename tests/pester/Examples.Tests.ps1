# Every shipped example, run: each code block under "## EXAMPLES" in docs/en-US/*.md (the Get-Help examples) and each
# .EXAMPLE of the scripts in examples/, read from the files themselves, with placeholders mapped to this suite's fixtures
# (tests/examples/ExampleFixtures.ps1) and what each needs and produced in tests/examples/ExampleSpecs.ps1. Batch
# Operations run on the S3 Control stand-in, SSO and instance credentials on the identity stand-in, and the caller's
# account (STS GetCallerIdentity, which the Ceph server lacks) comes from moto_server.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot '../examples/ExampleCatalog.psm1') -Force
    $specs = & (Join-Path $PSScriptRoot '../examples/ExampleSpecs.ps1')
    $shipped = @(Get-ShippedExample -Root (Join-Path $PSScriptRoot '../..'))
    $exampleCases = foreach ($example in $shipped) {
        $spec = Resolve-ExampleSpec $example $specs
        $where = if ($spec['Where']) { " on $($spec['Where'])" } else { ' on the Ceph server' }
        $note = if ($spec['Note']) { " ($($spec['Note']))" } else { '' }
        @{ Id = $example.Id; Name = "$($example.Id)$where$note" }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    # The fixtures, and the examples run under them, are StrictMode-clean.
    Set-StrictMode -Version Latest
    Import-Module (Join-Path $PSScriptRoot '../standins/StandIns.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../examples/ExampleCatalog.psm1') -Force
    $ExamplesFolder = (Resolve-Path (Join-Path $PSScriptRoot '../../examples')).Path
    $Examples = @{}
    foreach ($example in Get-ShippedExample -Root (Join-Path $PSScriptRoot '../..')) { $Examples[$example.Id] = $example }
    $Specs = & (Join-Path $PSScriptRoot '../examples/ExampleSpecs.ps1')
    . (Join-Path $PSScriptRoot '../examples/ExampleFixtures.ps1')

    # The server's own user is the operator (profile imap) and owns every fixture bucket; the runbook's role trusts it.
    $Tester = [pscustomobject]@{ Arn = 'arn:aws:iam:::user/tester' }
    $Hartnett = New-LocalS3User -Server $Server -Name (New-TestName 'hartnett')
    $SuiteRole = New-LocalS3Role -Server $Server -Name (New-TestName 'SdsDataManager-dev-BackupRole') -TrustedPrincipal $Tester.Arn -TrustedService 's3.amazonaws.com'
    # What IAM shows in a trust policy for a user deleted since: its unique id.
    $OrphanId = 'AIDAJQABLZS4A3QDU576Q'

    # Identity Center and instance metadata: the SDK reads the metadata endpoint once, at its first use in this process.
    $ssoUser = New-LocalS3User -Server $Server -Name (New-TestName 'sso-ops')
    $permissionSet = New-LocalS3Role -Server $Server -Name (New-TestName 'BackupOperator') -TrustedPrincipal $ssoUser.Arn
    $Identity = Start-IdentityCenterStandIn -StsEndpoint $Server.Endpoint -User $ssoUser -RoleArn $permissionSet.Arn -AccountId '111122223333' `
        -ContainerToken ('container-' + [Guid]::NewGuid().ToString('N')) -Folder (Join-Path $TestDrive 'identity')
    $env:AWS_EC2_METADATA_SERVICE_ENDPOINT = $Identity.Endpoint
    $env:AWS_ENDPOINT_URL_SSO = $Identity.Endpoint
    $env:AWS_ENDPOINT_URL_SSO_OIDC = $Identity.Endpoint
    $Moto = Start-MotoServer -Folder (Join-Path $TestDrive 'moto')
    # moto_server answers GetCallerIdentity with the IAM user an access key belongs to: an operator of its own.
    $motoOperator = & python3 -c @'
import boto3, json, sys
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="moto", aws_secret_access_key="moto")
iam.create_user(UserName="operator")
key = iam.create_access_key(UserName="operator")["AccessKey"]
print(json.dumps({"AccessKey": key["AccessKeyId"], "SecretKey": key["SecretAccessKey"]}))
'@ $Moto.Endpoint | ConvertFrom-Json
    $Control = Start-S3ControlStandIn -S3Endpoint $Server.Endpoint -AccessKey $Server.AccessKey -SecretKey $Server.SecretKey -Folder (Join-Path $TestDrive 's3control')

    # A home of its own: ~/.aws/config (an example names it), the SSO token cache and the profiles the examples name.
    $testHome = Join-Path $TestDrive 'home'
    $env:HOME = $testHome
    $fileSystem = Get-PSProvider FileSystem
    $savedHome = $fileSystem.Home
    $fileSystem.Home = $testHome
    $local = Get-LocalProfileSetting
    $keys = "aws_access_key_id = $($Server.AccessKey)`naws_secret_access_key = $($Server.SecretKey)`n"
    $ProfileFiles = Set-TestProfileFile -Folder (Join-Path $testHome '.aws') -Credentials ("[admin]`n$keys[imap]`n$keys[backup-account]`n$keys[ops]`n$keys" +
        "[moto-ops]`naws_access_key_id = $($motoOperator.AccessKey)`naws_secret_access_key = $($motoOperator.SecretKey)`n") -Config @"
[profile admin]
$local
[profile imap]
$local
[profile backup-account]
$local
[profile backup-role]
role_arn = $($SuiteRole.Arn)
source_profile = imap
$local
# The account comes from moto_server's STS and the jobs go to the S3 Control stand-in; S3 and IAM keep the profile's
# own endpoint_url, which a services section leaves in place for the services it does not name.
[profile ops]
services = ops-endpoints
$local
[services ops-endpoints]
sts =
  endpoint_url = $($Moto.Endpoint)
s3_control =
  endpoint_url = $($Control.Endpoint)

[profile moto-ops]
endpoint_url = $($Moto.Endpoint)
region = us-east-1

[profile sso-imap]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = $($permissionSet.Name)
$local
[profile sso-backup-role]
role_arn = $($permissionSet.Arn)
source_profile = sso-imap
$local
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile sso-never]
sso_start_url = https://never.awsapps.com/start
sso_region = us-east-1
sso_account_id = 111122223333
sso_role_name = $($permissionSet.Name)
$local
"@
}

AfterAll {
    Disconnect-S3Backup
    $Identity, $Moto, $Control | Stop-StandIn
    if ($savedHome) { (Get-PSProvider FileSystem).Home = $savedHome }
    foreach ($name in 'AWS_ENDPOINT_URL_SSO', 'AWS_ENDPOINT_URL_SSO_OIDC', 'AWS_EC2_METADATA_SERVICE_ENDPOINT') { Remove-Item "env:$name" -ErrorAction Ignore }
}

Describe 'The shipped examples' {
    It 'are found: help pages with examples and every script under examples/' {
        $Examples.Count | Should -BeGreaterThan 80
        ($Examples.Values.File | Split-Path -Leaf | Sort-Object -Unique) | Should -Contain 'Restore-InstrumentDay.ps1'
    }

    It 'each have code: a powershell block under every help example, an .EXAMPLE in every script' {
        $Examples.Values | Where-Object { -not $_.Code } | ForEach-Object Id | Should -BeNullOrEmpty
    }

    It 'have no entry in ExampleSpecs.ps1 for an example that no longer exists' {
        $Specs.Keys | Where-Object { -not $Examples.ContainsKey($_) } | Should -BeNullOrEmpty
    }

    It 'use paths that work on every OS (no $env:TEMP, no drive letters, no backslash folders)' {
        foreach ($example in $Examples.Values) {
            $example.Code | Should -Not -Match '\$env:TEMP|\$env:TMP\b|\b[A-Za-z]:\\|\.\\' -Because "$($example.Id) should run on Linux and macOS too"
        }
    }

    It '<Name>' -ForEach $exampleCases {
        Invoke-Example $Examples[$Id] (Resolve-ExampleSpec $Examples[$Id] $Specs)
    }
}

Describe 'Restore-InstrumentDay.ps1 reads dates as the cmdlets do' {
    BeforeAll {
        $script = Join-Path $ExamplesFolder 'Restore-InstrumentDay.ps1'
        $pair = New-ExamplePair 'dates' @{}
    }

    It 'refuses -From 01/03/2025, naming both readings, before it connects or copies anything' {
        { & $script -Instrument mag -Level l1a -From 01/03/2025 -To 2025-01-07 -BackupBucket $pair.Backup -SourceBucket $pair.Source -ProfileName admin } |
            Should -Throw -ErrorId 'ParameterArgumentTransformationError,Restore-InstrumentDay.ps1'
        $Error[0].Exception.Message | Should -Match 'parameter ''From''\. ''01/03/2025'' can be read as 2025-03-01 or as 2025-01-03'
        Get-ExampleKey $pair.Source imap/mag/ | Should -Be $ExampleKeys.Mag05
    }

    It 'refuses an -AsOf that the cmdlets refuse, with the same words' {
        $readings = [regex]::Escape("'04/12/2026 19:17' can be read as 2026-12-04 or as 2026-04-12")
        { & $script -Instrument mag -Level l1a -From 2025-01-05 -To 2025-01-07 -AsOf '04/12/2026 19:17' -ProfileName admin } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,*'
        $Error[0].Exception.Message | Should -Match $readings
        { Get-S3BackupObject -ProfileName admin -Bucket $pair.Backup -AsOf '04/12/2026 19:17' } | Should -Throw
        $Error[0].Exception.Message | Should -Match $readings
    }

    It 'refuses a -To that is no date at all' {
        { & $script -Instrument mag -Level l1a -From 2025-01-05 -To 7 -ProfileName admin } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,*'
        $Error[0].Exception.Message | Should -Match "A moment is a \[DateTime\] or text .*not the Int32 '7'"
        { & $script -Instrument mag -Level l1a -From 2025-01-05 -To 'the seventh' -ProfileName admin } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,*'
        $Error[0].Exception.Message | Should -Match "'the seventh' is not a moment this module reads"
    }

    It 'takes -From 2025-01-03 (ISO 8601) and restores those days' {
        $output = & $script -Instrument mag -Level l1a -From 2025-01-03 -To 2025-01-06 -BackupBucket $pair.Backup -SourceBucket $pair.Source -ProfileName admin
        $output | Should -Contain '2 backup object(s) for mag l1a from 2025-01-03 to 2025-01-06'
        Get-ExampleKey $pair.Source imap/mag/ | Should -Be @($ExampleKeys.Mag05, $ExampleKeys.Mag06)
    }

    It 'takes a [datetime] and a month name as they are' {
        $output = & $script -Instrument mag -Level l1a -From ([datetime]::new(2025, 1, 7)) -To '7 Jan 2025' -BackupBucket $pair.Backup -SourceBucket $pair.Source -ProfileName admin -WhatIf
        $output | Should -Contain '2 backup object(s) for mag l1a from 2025-01-07 to 2025-01-07'
    }
}
