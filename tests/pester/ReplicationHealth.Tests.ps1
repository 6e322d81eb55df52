# Test-S3BackupReplication end to end. On the local Ceph server, whose replication rules the replication stand-in carries
# out (and whose HeadObject answers it fronts with x-amz-replication-status, which Ceph cannot store): a healthy set-up
# passes, each broken piece is found with its fix, and the canary passes or fails within its timeout. On moto_server, the
# parts Ceph drops or lacks: the configuration's role, an attached managed policy, a cross-account bucket policy, Object
# Ownership and SSE-KMS default encryption.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module (Join-Path $PSScriptRoot '../standins/StandIns.psm1') -Force
    $replication = Start-ReplicationStandIn -S3Endpoint $Server.Endpoint -AccessKey $Server.AccessKey -SecretKey $Server.SecretKey `
        -Folder (Join-Path $TestDrive 'replication') -IntervalMilliseconds 200
    $moto = Start-MotoServer -Folder (Join-Path $TestDrive 'moto')
    $checksums = "request_checksum_calculation = when_required`nresponse_checksum_validation = when_required`n"
    # "admin" reaches the Ceph server through the stand-in's front, so HeadObject carries the replication status.
    $null = Set-TestProfileFile -Folder (Join-Path $TestDrive 'aws') `
        -Config "[profile admin]`nendpoint_url = $($replication.S3Endpoint)`n$checksums[profile moto]`nendpoint_url = $($moto.Endpoint)`nregion = us-east-1`n" `
        -Credentials "[admin]`naws_access_key_id = $($Server.AccessKey)`naws_secret_access_key = $($Server.SecretKey)`n[moto]`naws_access_key_id = moto`naws_secret_access_key = moto`n"
    $PSDefaultParameterValues['*-S3Backup*:ProfileName'] = 'admin'

    # Ceph (Pacific) refuses the replication actions' names (s3:ReplicateObject, s3:GetObjectVersionForReplication, ...)
    # in a role policy, so the roles here grant by wildcard; AWS's documented policy, action by action, is read on moto below.
    function New-ReplicationPolicy([string] $Source, [string] $Backup, [string[]] $Action = @('s3:*')) {
        @{ Version = '2012-10-17'; Statement = @(@{ Effect = 'Allow'; Action = $Action; Resource = @("arn:aws:s3:::$Source", "arn:aws:s3:::$Source/*", "arn:aws:s3:::$Backup/*") }) } |
            ConvertTo-Json -Depth 6 -Compress
    }
    $source = New-TestName 'health-source'
    $backup = New-TestName 'health-backup'
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $source -Versioned
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $backup -Versioned
    $role = New-LocalS3Role -Server $Server -Name (New-TestName 'Replication') -TrustedService 's3.amazonaws.com', 'batchoperations.s3.amazonaws.com' `
        -PolicyDocument (New-ReplicationPolicy $source $backup)
    $null = New-S3BackupReplicationRule -SourceBucket $source -DestinationBucket $backup -DestinationAccountId '444455556666' -RoleArn $role.Arn -Confirm:$false

    function Invoke-StandIn([string] $Path, $Body) {
        Invoke-RestMethod -Method Post "$($replication.Endpoint)/_standin/$Path" -NoProxy -ContentType 'application/json' -Body ($Body | ConvertTo-Json -Compress)
    }
    function Get-Finding([Parameter(ValueFromPipeline)] $Findings, [string] $Check, [string] $Outcome) {
        begin { $all = [Collections.Generic.List[object]]::new() }
        process { foreach ($finding in $Findings) { $all.Add($finding) } }
        end { @($all | Where-Object { $_.Check -eq $Check -and (-not $Outcome -or $_.Outcome -eq $Outcome) }) }
    }
    function Get-CanaryVersion([string] $Bucket) { @(Get-S3BackupObject -Bucket $Bucket -Prefix 's3replication-canary/' -AllVersions -WarningAction SilentlyContinue) }
    function Set-Versioning([string] $Bucket, [string] $Status) {
        $client = New-LocalS3Client -Server $Server -ModulePath $ModulePath
        try {
            $request = [Amazon.S3.Model.PutBucketVersioningRequest]@{ BucketName = $Bucket; VersioningConfig = [Amazon.S3.Model.S3BucketVersioningConfig]@{ Status = $Status } }
            $null = $client.PutBucketVersioningAsync($request).GetAwaiter().GetResult()
        }
        finally { $client.Dispose() }
    }

    Write-TestObject -Bucket $source -Key 'reports/first.csv' -Bytes ([Text.Encoding]::UTF8.GetBytes('a,b'))
    Invoke-StandIn sync @{}
}

AfterAll {
    $replication | Stop-StandIn
    $moto | Stop-StandIn
}

Describe 'Test-S3BackupReplication on the local server' {
    It 'passes a healthy set-up, each check named, and -Quiet says $true' {
        $findings = Test-S3BackupReplication -SourceBucket $source -RoleArn $role.Arn
        $findings | Where-Object Outcome -In 'Failed', 'Error' | Should -BeNullOrEmpty
        (Get-Finding $findings Rule Passed).Detail | Should -BeLike "Enabled, whole bucket -> s3://$backup*"
        (Get-Finding $findings Versioning Passed).Target | Should -Be "s3://$source", "s3://$backup"
        (Get-Finding $findings Trust Passed).Detail | Should -Be 'Trusts s3.amazonaws.com.', 'Trusts batchoperations.s3.amazonaws.com.'
        (Get-Finding $findings RolePolicy Passed).Detail | Should -BeLike 'Grants the 6 permissions replication needs*'
        (Get-Finding $findings Sample Passed).Detail | Should -BeLike 'The 1 newest object(s) (1 COMPLETED)*'
        Get-Finding $findings Encryption Passed | Should -HaveCount 1
        # Without a backup-account session the backup's policy and ownership are not read; Ceph keeps no role in the rule.
        (Get-Finding $findings BucketPolicy Skipped).Hint | Should -BeLike 'Give -BackupSession*'
        $findings | ForEach-Object { $_.SourceBucket; $_.BackupBucket } | Select-Object -Unique | Should -Be $source, $backup
        Test-S3BackupReplication -SourceBucket $source -RoleArn $role.Arn -Quiet | Should -BeTrue
    }

    It 'says the configuration names no role and skips the role checks without -RoleArn' {
        $trust = Get-Finding (Test-S3BackupReplication -SourceBucket $source -Sample 0) Trust
        $trust.Outcome | Should -Be 'Skipped'
        $trust.Hint | Should -Be 'Give -RoleArn with the replication role.'
    }

    It 'finds a disabled rule, and its fix enables it' {
        Get-S3BackupReplicationRule -Bucket $source | Set-S3BackupReplicationRule -Disabled -Confirm:$false
        try {
            $rule = Get-Finding (Test-S3BackupReplication -SourceBucket $source -RoleArn $role.Arn -Sample 0) Rule Failed
            $rule.Detail | Should -Be "Rule ReplicateToBackup is disabled: nothing is replicated to s3://$backup."
            # Checked with -ProfileName (here through $PSDefaultParameterValues), the fix acts with that profile too.
            $rule.Hint | Should -Be "Get-S3BackupReplicationRule -Bucket $source -RuleId ReplicateToBackup -ProfileName admin | Set-S3BackupReplicationRule -Enabled -ProfileName admin"
            Test-S3BackupReplication -SourceBucket $source -RoleArn $role.Arn -Sample 0 -Quiet | Should -BeFalse
            Invoke-Expression $rule.Hint
            (Get-Finding (Test-S3BackupReplication -SourceBucket $source -RoleArn $role.Arn -Sample 0) Rule).Outcome | Should -Be 'Passed'
        }
        finally { Get-S3BackupReplicationRule -Bucket $source | Set-S3BackupReplicationRule -Enabled -Confirm:$false }
    }

    It 'finds versioning suspended on the backup bucket' {
        Set-Versioning $backup Suspended
        try {
            $versioning = Get-Finding (Test-S3BackupReplication -SourceBucket $source -RoleArn $role.Arn -Sample 0) Versioning Failed
            $versioning.Target | Should -Be "s3://$backup"
            $versioning.Detail | Should -BeLike 'Versioning is Suspended on the backup bucket*'
            $versioning.Hint | Should -BeLike "aws s3api put-bucket-versioning --bucket $backup --versioning-configuration Status=Enabled*"
        }
        finally { Set-Versioning $backup Enabled }
    }

    It 'finds a role that does not trust s3.amazonaws.com, and its fix adds it' {
        $batchOnly = New-LocalS3Role -Server $Server -Name (New-TestName 'BatchOnly') -TrustedService 'batchoperations.s3.amazonaws.com' -PolicyDocument (New-ReplicationPolicy $source $backup)
        $trust = Get-Finding (Test-S3BackupReplication -SourceBucket $source -RoleArn $batchOnly.Arn -Sample 0) Trust Failed
        $trust.Detail | Should -Be 'The role does not trust s3.amazonaws.com: S3 cannot replicate as this role.'
        $trust.Hint | Should -Be "Add-BackupRoleTrustPrincipal -RoleName $($batchOnly.Name) -PrincipalArn s3.amazonaws.com -ProfileName admin"
        (Invoke-Expression $trust.Hint).Result | Should -Be 'Added'
        (Get-Finding (Test-S3BackupReplication -SourceBucket $source -RoleArn $batchOnly.Arn -Sample 0) Trust Passed).Detail |
            Should -Be 'Trusts s3.amazonaws.com.', 'Trusts batchoperations.s3.amazonaws.com.'
        (Get-BackupRoleTrustPolicy -RoleName $batchOnly.Name -ProfileName admin).Principals | Where-Object Principal -EQ 's3.amazonaws.com' | ForEach-Object Type | Should -Be 'Service'
    }

    It 'finds a role policy without s3:ReplicateObject, with the statement to add' {
        $lacking = New-LocalS3Role -Server $Server -Name (New-TestName 'NoReplicate') -TrustedService 's3.amazonaws.com' -PolicyDocument (New-ReplicationPolicy $source $backup -Action 's3:Get*', 's3:List*')
        $findings = Test-S3BackupReplication -SourceBucket $source -RoleArn $lacking.Arn -Sample 0
        $policy = Get-Finding $findings RolePolicy | Where-Object Target -Like 's3:ReplicateObject *'
        $policy.Outcome | Should -Be 'Failed'
        $policy.Target | Should -Be "s3:ReplicateObject on arn:aws:s3:::$backup/*"
        (Get-Finding $findings RolePolicy Failed).Target | Should -Be "s3:ReplicateObject on arn:aws:s3:::$backup/*"
        $policy.Hint | Should -Be "Add to the policies of role $($lacking.Name): {`"Effect`":`"Allow`",`"Action`":`"s3:ReplicateObject`",`"Resource`":`"arn:aws:s3:::$backup/*`"}"
        (Get-Finding $findings Trust Passed).Detail | Should -Be 'Trusts s3.amazonaws.com.'
    }

    It 'reports objects that FAILED to replicate, with the Batch Replication that retries them' {
        Invoke-StandIn fail @{ keys = @('reports/refused.csv') }
        try {
            Write-TestObject -Bucket $source -Key 'reports/refused.csv' -Bytes ([Text.Encoding]::UTF8.GetBytes('x'))
            Invoke-StandIn sync @{}
            $sample = Get-Finding (Test-S3BackupReplication -SourceBucket $source -RoleArn $role.Arn) Sample Failed
            $sample.Detail | Should -BeLike '*1 FAILED to replicate: reports/refused.csv.'
            $sample.Hint | Should -BeLike "*Start-S3BackupBatchReplication -SourceBucket $source -ReplicationStatus FAILED -WorkBucket *"
        }
        finally {
            Invoke-StandIn unfail @{ keys = @() }
            Remove-TestObject $source 'reports/refused.csv'
        }
    }

    It 'passes the canary where the stand-in replicates, and removes its versions on both sides' {
        $canary = Get-Finding (Test-S3BackupReplication -SourceBucket $source -RoleArn $role.Arn -Sample 0 -Canary -Timeout 00:01:00) Canary
        $canary.Outcome | Should -Be 'Passed'
        $canary.Detail | Should -Match "^Replicated to s3://$backup in [\d.]+ s, with the same content\.$"
        $canary.Target | Should -Match "^s3://$source/s3replication-canary/\d{8}T\d{6}Z-[0-9a-f]{8}$"
        Get-CanaryVersion $source | Should -BeNullOrEmpty
        Get-CanaryVersion $backup | Should -BeNullOrEmpty
    }

    It 'fails the canary within its timeout where nothing replicates, leaving nothing behind' {
        Invoke-StandIn pause @{}
        try {
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $canary = Get-Finding (Test-S3BackupReplication -SourceBucket $source -RoleArn $role.Arn -Sample 0 -Canary -Timeout 00:00:04) Canary
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 30
            $canary.Outcome | Should -Be 'Failed'
            $canary.Detail | Should -BeLike "No replica in s3://$backup after 4 s. A replica that arrives later stays there as s3://$backup/s3replication-canary/*"
            Get-CanaryVersion $source | Should -BeNullOrEmpty
        }
        finally { Invoke-StandIn resume @{} }
        # Its version was removed before the stand-in could copy it: nothing reaches the backup afterwards either.
        Invoke-StandIn sync @{}
        Get-CanaryVersion $backup | Should -BeNullOrEmpty
    }

    It 'writes no canary with -WhatIf' {
        function Get-CanaryCount { @((Invoke-RestMethod "$($replication.Endpoint)/_standin/status?bucket=$source" -NoProxy).Objects.Key -like '*s3replication-canary/*').Count }
        $before = Get-CanaryCount
        $findings = Test-S3BackupReplication -SourceBucket $source -RoleArn $role.Arn -Sample 0 -Canary -WhatIf
        Get-Finding $findings Canary | Should -BeNullOrEmpty
        Invoke-StandIn sync @{}
        Get-CanaryCount | Should -Be $before
    }

    It 'takes rule records from the pipeline and checks each pair once' {
        $findings = Get-S3BackupReplicationRule -Bucket $source | Test-S3BackupReplication -RoleArn $role.Arn -Sample 0
        (Get-Finding $findings Rule Passed).Count | Should -Be 1
        $findings[0].BackupBucket | Should -Be $backup
    }

    It 'takes a bucket name from the pipeline, and with -Quiet an empty pipeline is $false with a warning' {
        ($source | Test-S3BackupReplication -RoleArn $role.Arn -Sample 0 | Get-Finding -Check Rule).Outcome | Should -Be 'Passed'
        @() | Test-S3BackupReplication -Quiet -WarningVariable warned -WarningAction SilentlyContinue | Should -BeFalse
        $warned.Message | Should -Be 'No bucket was checked: nothing came down the pipeline (or every input was refused).'
        Get-S3BackupReplicationRule -Bucket $backup | Test-S3BackupReplication -Quiet -WarningAction SilentlyContinue | Should -BeFalse
    }

    It 'refuses a bare number for -Timeout, which PowerShell would read as ticks, before writing any canary' {
        { Test-S3BackupReplication -SourceBucket $source -Canary -Timeout 300 -ErrorAction Stop } | Should -Throw '*A duration is a `[TimeSpan`] or text such as 00:05:00, 90s, 5m or 2h*'
        Get-CanaryVersion $source | Should -BeNullOrEmpty
    }

    It 'names no profile in its hints when it ran with the default session' {
        Connect-S3Backup -ProfileName admin
        try {
            $PSDefaultParameterValues.Remove('*-S3Backup*:ProfileName')
            (Get-Finding (Test-S3BackupReplication -SourceBucket $backup -Sample 0) Rule).Hint | Should -Not -BeLike '*-ProfileName*'
        }
        finally {
            $PSDefaultParameterValues['*-S3Backup*:ProfileName'] = 'admin'
            Disconnect-S3Backup
        }
    }

    It 'fails a bucket without a rule with the command that adds one, and refuses a bad name' {
        $rule = Get-Finding (Test-S3BackupReplication -SourceBucket $backup -Sample 0) Rule
        $rule.Outcome | Should -Be 'Failed'
        $rule.Hint | Should -BeLike "New-S3BackupReplicationRule -SourceBucket $backup -DestinationBucket <backup bucket>* -ProfileName admin"
        { Test-S3BackupReplication -SourceBucket 'Not_A_Bucket' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidBucketName,*'
        { Test-S3BackupReplication -SourceBucket (New-TestName 'missing') -ErrorAction Stop } | Should -Throw -ErrorId 'BucketNotFound,*'
    }
}

Describe 'Test-S3BackupReplication on moto_server (what Ceph drops or lacks)' {
    BeforeAll {
        $names = & python3 (Join-Path $PSScriptRoot '../standins/replication_health_fixtures.py') $moto.Endpoint (New-TestName 'health') | ConvertFrom-Json
        $backupSession = Connect-S3Backup -ProfileName moto -PassThru
        $writerFindings = Test-S3BackupReplication -ProfileName moto -SourceBucket $names.Source -BackupBucket $names.Writer -BackupSession $backupSession -Sample 0
    }

    It 'checks the role the configuration names, granted by an attached managed policy' {
        (Get-Finding $writerFindings Trust Passed).Detail | Should -Contain 'Trusts s3.amazonaws.com.'
        (Get-Finding $writerFindings Trust Warning).Hint | Should -Be "Add-BackupRoleTrustPrincipal -RoleName $($names.RoleName) -PrincipalArn batchoperations.s3.amazonaws.com -ProfileName moto"
        (Get-Finding $writerFindings RolePolicy).Outcome | Should -Be 'Passed'
    }

    It 'finds the cross-account bucket policy missing the owner override the rule needs' {
        $missing = Get-Finding $writerFindings BucketPolicy Failed
        $missing.Target | Should -Be "s3:ObjectOwnerOverrideToBucketOwner on arn:aws:s3:::$($names.Writer)/*"
        $missing.Hint | Should -Be "Add to the bucket policy of $($names.Writer): {`"Effect`":`"Allow`",`"Principal`":{`"AWS`":`"$($names.Role)`"},`"Action`":`"s3:ObjectOwnerOverrideToBucketOwner`",`"Resource`":`"arn:aws:s3:::$($names.Writer)/*`"}"
        (Get-Finding $writerFindings BucketPolicy Warning).Target | Should -Be "s3:GetBucketVersioning on arn:aws:s3:::$($names.Writer)"
    }

    It 'warns of replicas that would belong to the source account, and passes an owner override and a bucket-owner-enforced backup' {
        (Get-Finding $writerFindings Ownership).Detail | Should -Be 'ObjectWriter, and the rule''s owner override gives the replicas to the backup account.'
        $preferred = Get-Finding (Test-S3BackupReplication -ProfileName moto -SourceBucket $names.Source -BackupBucket $names.Preferred -BackupSession $backupSession -Sample 0) Ownership
        $preferred.Outcome | Should -Be 'Warning'
        $preferred.Detail | Should -BeLike 'BucketOwnerPreferred without the rule''s owner override: the replicas belong to the source account 111122223333*'
        $preferred.Hint | Should -BeLike "aws s3api put-bucket-ownership-controls --bucket $($names.Preferred) *BucketOwnerEnforced*"
        $enforced = Test-S3BackupReplication -ProfileName moto -SourceBucket $names.Source -BackupBucket $names.Enforced -BackupSession $backupSession -Sample 0
        (Get-Finding $enforced Ownership).Outcome | Should -Be 'Passed'
        (Get-Finding $enforced Rule Passed).Target | Should -Be 'rule ToEnforced'
    }

    It 'finds SSE-KMS default encryption without SourceSelectionCriteria' {
        $encryption = Get-Finding $writerFindings Encryption
        $encryption.Outcome | Should -Be 'Failed'
        $encryption.Detail | Should -BeLike 'The bucket encrypts new objects with SSE-KMS (aws:kms, key arn:aws:kms:us-east-1:111122223333:key/source-key), but the rule does not select SSE-KMS objects*'
    }
}
