BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')

    $operator = New-LocalS3User -Server $Server -Name (New-TestName 'ops')
    $backupRole = New-LocalS3Role -Server $Server -Name (New-TestName 'BackupRole') -TrustedPrincipal $operator.Arn -TrustedService 's3.amazonaws.com'
    $local = Get-LocalProfileSetting
    $null = Set-TestProfileFile -Folder (Join-Path $TestDrive 'aws') `
        -Credentials "[admin]`naws_access_key_id = $($Server.AccessKey)`naws_secret_access_key = $($Server.SecretKey)`n[imap]`naws_access_key_id = $($operator.AccessKey)`naws_secret_access_key = $($operator.SecretKey)`n" `
        -Config "[profile admin]`n$local`n[profile imap]`n$local`n[profile backup-role]`nrole_arn = $($backupRole.Arn)`nsource_profile = imap`n$local"

    $source = New-TestName 'sds-data-dev'
    $backup = "$source-backup"
    $unversioned = New-TestName 'plain'
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $source -Versioned
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $backup -Versioned
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $unversioned
    Connect-S3Backup -ProfileName admin

    $rule = @{ SourceBucket = $source; DestinationBucket = $backup; DestinationAccountId = '123456789012'; RoleArn = 'arn:aws:iam:::role/BackupRole' }
    function Get-RuleSummary([string] $Bucket) {
        # Sorted by priority: rule order carries no meaning, and Ceph RGW returns rules in its own order.
        Get-S3BackupReplicationRule -Bucket $Bucket | Sort-Object Priority |
            ForEach-Object { "$($_.RuleId)|$($_.Status)|$($_.Priority)|$($_.Prefix)|$($_.DestinationBucket)|$($_.StorageClass)" }
    }
}

AfterAll { Disconnect-S3Backup }

Describe 'Replication rules on the local server' {
    It 'gives no records and no error for a bucket without a configuration' {
        Get-S3BackupReplicationRule -Bucket $source -ErrorVariable failures | Should -BeNullOrEmpty
        $failures | Should -BeNullOrEmpty
    }

    It 'says that a bucket that does not exist is missing, in Get-, Set- and Remove-S3BackupReplicationRule' {
        $missing = New-TestName 'sds-data-dve'
        $failures = @(
            { Get-S3BackupReplicationRule -Bucket $missing -ErrorAction Stop }
            { Set-S3BackupReplicationRule -Bucket $missing -RuleId ReplicateToBackup -Disabled -ErrorAction Stop }
            { Remove-S3BackupReplicationRule -Bucket $missing -RuleId ReplicateToBackup -Confirm:$false -ErrorAction Stop }
        ) | ForEach-Object { $_ | Should -Throw -PassThru }
        foreach ($failure in $failures) {
            $failure.FullyQualifiedErrorId | Should -BeLike 'BucketNotFound,*'
            $failure.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $failure.TargetObject | Should -Be $missing
            $failure.Exception.Message | Should -Match "bucket $missing failed: the bucket does not exist"
            $failure.Exception.Message | Should -Not -Match 'no replication configuration'
        }
    }

    It 'says an existing bucket has no replication configuration, as before' {
        Get-S3BackupReplicationRule -Bucket $backup -Verbose -ErrorVariable failures 4>&1 |
            ForEach-Object { $_.Message } | Should -Contain "Bucket $backup has no replication configuration."
        $failures | Should -BeNullOrEmpty
        { Remove-S3BackupReplicationRule -Bucket $backup -RuleId ReplicateToBackup -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'RuleNotFound,*'
    }

    It 'adds the runbook rule to a bucket with two rules and keeps both' {
        $null = New-S3BackupReplicationRule @rule -RuleId analytics -Prefix 'analytics/' -Priority 5 -StorageClass STANDARD_IA
        $null = New-S3BackupReplicationRule @rule -RuleId logs -Tag @{ kind = 'log' } -Priority 9 -Disabled
        $added = New-S3BackupReplicationRule @rule
        $added.RuleId | Should -Be 'ReplicateToBackup'
        $added.Priority | Should -Be 10
        $added.RoleArn | Should -Be 'arn:aws:iam:::role/BackupRole'
        Get-RuleSummary $source | Should -Be @(
            "analytics|Enabled|5|analytics/|$backup|STANDARD_IA"
            "logs|Disabled|9||$backup|"
            "ReplicateToBackup|Enabled|10||$backup|"
        )
        (Get-S3BackupReplicationRule -Bucket $source -RuleId logs).Tags['kind'] | Should -Be 'log'
    }

    It 'changes nothing with -WhatIf' {
        $before = Get-RuleSummary $source
        New-S3BackupReplicationRule @rule -RuleId extra -WhatIf | Should -BeNullOrEmpty
        Get-S3BackupReplicationRule -Bucket $source -RuleId logs | Set-S3BackupReplicationRule -Enabled -WhatIf
        Get-S3BackupReplicationRule -Bucket $source | Remove-S3BackupReplicationRule -WhatIf
        Get-RuleSummary $source | Should -Be $before
    }

    It 'refuses a rule id that exists, and replaces it with -Force' {
        { New-S3BackupReplicationRule @rule -ErrorAction Stop } | Should -Throw -ErrorId 'RuleExists,*'
        $null = New-S3BackupReplicationRule @rule -Priority 10 -StorageClass GLACIER -Force
        (Get-RuleSummary $source)[2] | Should -Be "ReplicateToBackup|Enabled|10||$backup|GLACIER"
        @(Get-RuleSummary $source).Count | Should -Be 3
    }

    It 'refuses a priority another rule has, changing nothing' {
        $before = Get-RuleSummary $source
        { New-S3BackupReplicationRule @rule -RuleId clash -Priority 5 -ErrorAction Stop } | Should -Throw -ErrorId 'DuplicatePriority,*'
        Get-RuleSummary $source | Should -Be $before
    }

    It 'changes one rule from the pipeline and leaves the others' {
        $changed = Get-S3BackupReplicationRule -Bucket $source -RuleId logs | Set-S3BackupReplicationRule -Enabled -Prefix 'logs/' -PassThru
        $changed.Status | Should -Be 'Enabled'
        $changed.Prefix | Should -Be 'logs/'
        $changed.Tags['kind'] | Should -Be 'log'
        Get-RuleSummary $source | Should -Be @(
            "analytics|Enabled|5|analytics/|$backup|STANDARD_IA"
            "logs|Enabled|9|logs/|$backup|"
            "ReplicateToBackup|Enabled|10||$backup|GLACIER"
        )
    }

    It 'removes one rule and keeps two, then deletes the configuration with the last' {
        Remove-S3BackupReplicationRule -Bucket $source -RuleId logs -Confirm:$false
        (Get-S3BackupReplicationRule -Bucket $source).RuleId | Sort-Object | Should -Be @('analytics', 'ReplicateToBackup')
        Get-S3BackupReplicationRule -Bucket $source | Remove-S3BackupReplicationRule -Confirm:$false
        Get-S3BackupReplicationRule -Bucket $source | Should -BeNullOrEmpty
    }

    It 'refuses an unknown storage class in Set-S3BackupReplicationRule, changing nothing' {
        $before = Get-RuleSummary $source
        { Set-S3BackupReplicationRule -Bucket $source -RuleId ReplicateToBackup -StorageClass COLDEST -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidArgument,*'
        Get-RuleSummary $source | Should -Be $before
    }

    It 'reports a rule that does not exist' {
        Remove-S3BackupReplicationRule -Bucket $source -RuleId nothing -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'RuleNotFound,*'
        $failures[0].TargetObject | Should -Be 'nothing'
    }
}

Describe 'Concurrent writers' {
    It 'keeps every rule when four runspaces add rules to one bucket at once' {
        $bucket = New-TestName 'race'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $bucket -Versioned
        $manifest = Join-Path $ModulePath 'S3Replication.psd1'
        $failures = 1..4 | ForEach-Object -ThrottleLimit 4 -Parallel {
            Import-Module $using:manifest
            try {
                $null = New-S3BackupReplicationRule -ProfileName admin -SourceBucket $using:bucket -DestinationBucket $using:backup `
                    -DestinationAccountId 123456789012 -RoleArn 'arn:aws:iam:::role/BackupRole' -RuleId "writer-$_" -Priority (100 + $_) -ErrorAction Stop
            }
            catch { "writer-$_ : $_" }
        }
        $failures | Should -BeNullOrEmpty
        (Get-S3BackupReplicationRule -Bucket $bucket).RuleId | Sort-Object | Should -Be @('writer-1', 'writer-2', 'writer-3', 'writer-4')
    }
}

Describe 'Versioning is required' {
    It 'names an unversioned source bucket and changes nothing' {
        $failure = { New-S3BackupReplicationRule @rule -SourceBucket $unversioned -ErrorAction Stop } | Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -BeLike 'VersioningNotEnabled,*'
        $failure.Exception.Message | Should -Match $unversioned
        $failure.Exception.Message | Should -Match '-EnableVersioning'
        Get-S3BackupReplicationRule -Bucket $unversioned | Should -BeNullOrEmpty
    }

    It 'turns versioning on with -EnableVersioning, after -WhatIf changed nothing' {
        New-S3BackupReplicationRule @rule -SourceBucket $unversioned -EnableVersioning -WhatIf | Should -BeNullOrEmpty
        { New-S3BackupReplicationRule @rule -SourceBucket $unversioned -ErrorAction Stop } | Should -Throw -ErrorId 'VersioningNotEnabled,*'
        $added = New-S3BackupReplicationRule @rule -SourceBucket $unversioned -EnableVersioning
        $added.Bucket | Should -Be $unversioned
        (Get-S3BackupReplicationRule -Bucket $unversioned).RuleId | Should -Be 'ReplicateToBackup'
    }
}

Describe 'Bad input changes nothing' {
    It 'refuses <Case>' -ForEach @(
        @{ Case = 'an invalid source bucket'; Override = @{ SourceBucket = 'Not_A_Bucket' }; ErrorId = 'InvalidBucketName' }
        @{ Case = 'an invalid destination bucket'; Override = @{ DestinationBucket = 'x' }; ErrorId = 'InvalidBucketName' }
        @{ Case = 'a short account id'; Override = @{ DestinationAccountId = '1234' }; ErrorId = 'InvalidArgument' }
        @{ Case = 'a malformed role ARN'; Override = @{ RoleArn = 'arn:aws:iam::1:user/x' }; ErrorId = 'InvalidRoleArn' }
        @{ Case = 'a KMS key id that is not an ARN'; Override = @{ ReplicaKmsKeyId = 'my-key' }; ErrorId = 'InvalidArgument' }
        @{ Case = 'an unknown storage class'; Override = @{ StorageClass = 'COLDEST' }; ErrorId = 'InvalidArgument' }
    ) {
        $arguments = $rule.Clone()
        foreach ($entry in $Override.GetEnumerator()) { $arguments[$entry.Key] = $entry.Value }
        $before = Get-RuleSummary $source
        { New-S3BackupReplicationRule @arguments -RuleId badinput -ErrorAction Stop } | Should -Throw -ErrorId "$ErrorId,*"
        Get-RuleSummary $source | Should -Be $before
    }
}

Describe '-RoleName with an assumed role' {
    It 'builds the role ARN in the caller''s account' {
        Connect-S3Backup -ProfileName backup-role
        try {
            $bucket = New-TestName 'rolename'
            New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $bucket -Versioned
            $added = New-S3BackupReplicationRule -SourceBucket $bucket -DestinationBucket $backup -DestinationAccountId 123456789012 -RoleName $backupRole.Name
            # Ceph RGW's ARNs have an empty account, and so does the role built from the caller's identity.
            $added.RoleArn | Should -Be $backupRole.Arn
        }
        finally { Connect-S3Backup -ProfileName admin }
    }
}

Describe 'Get-S3ReplicationStatus' {
    BeforeAll {
        $objects = 'imap/mag/l1a/2025/01/a.cdf', 'imap/mag/l1a/2025/01/b.cdf', 'imap/swe/l0/c.pkts'
        $objects | Write-LocalS3Object -Server $Server -ModulePath $ModulePath -Bucket $source
    }

    It 'reports each listed object (NONE here: the local server never replicates)' {
        $status = Get-S3ReplicationStatus -Bucket $source -Prefix 'imap/mag/'
        $status.Key | Sort-Object | Should -Be @('imap/mag/l1a/2025/01/a.cdf', 'imap/mag/l1a/2025/01/b.cdf')
        $status.Status | Sort-Object -Unique | Should -Be 'NONE'
    }

    It 'counts per status with -Summary' {
        $summary = Get-S3ReplicationStatus -Bucket $source -Summary
        $summary.Status | Should -Be 'NONE'
        $summary.Count | Should -Be 3
    }

    It 'takes object records from the pipeline and reports a missing one without stopping' {
        $records = 'imap/swe/l0/c.pkts', 'imap/gone.cdf', 'imap/mag/l1a/2025/01/a.cdf' |
            ForEach-Object { [S3Replication.Records.S3ObjectRecord]@{ Bucket = $source; Key = $_ } }
        $status = $records | Get-S3ReplicationStatus -MaxConcurrency 2 -ErrorVariable failures -ErrorAction SilentlyContinue
        $status.Key | Sort-Object | Should -Be @('imap/mag/l1a/2025/01/a.cdf', 'imap/swe/l0/c.pkts')
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'ObjectNotFound,*'
        $failures[0].TargetObject.Key | Should -Be 'imap/gone.cdf'
    }

    It 'counts what it could not read in the summary, so no object goes missing from it' {
        $records = 'imap/swe/l0/c.pkts', 'imap/gone.cdf', 'imap/mag/l1a/2025/01/a.cdf' |
            ForEach-Object { [S3Replication.Records.S3ObjectRecord]@{ Bucket = $source; Key = $_ } }
        $summary = $records | Get-S3ReplicationStatus -Summary -ErrorAction SilentlyContinue
        ($summary | ForEach-Object { "$($_.Status)=$($_.Count)" }) -join ';' | Should -Be 'NONE=2;UNREADABLE=1'
        ($summary | Measure-Object Count -Sum).Sum | Should -Be 3
    }
}

Describe 'Tab completion of -Prefix' {
    BeforeAll {
        $keys = 'imap/mag/l1a/2025/01/a.cdf', 'imap/swe/l0/c.pkts', 'imap/my folder/d.txt', 'imap/readme.txt', 'top.txt'
        $listed = New-TestName 'sds-prefixes'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $listed
        $keys | Write-LocalS3Object -Server $Server -ModulePath $ModulePath -Bucket $listed
        function Complete([string] $Line) { (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText }
    }

    It 'lists the next level under what was typed, folders first, then keys: <Line>' -ForEach @(
        @{ Line = 'Get-S3BackupObject -Bucket {0} -Prefix imap/'; Expected = 'imap/mag/', "'imap/my folder/'", 'imap/swe/', 'imap/readme.txt' }
        @{ Line = 'Get-S3BackupObject -Bucket {0} -Prefix '; Expected = 'imap/', 'top.txt' }
        @{ Line = 'Get-S3BackupObject -Bucket {0} -Prefix imap/m'; Expected = 'imap/mag/', "'imap/my folder/'" }
        @{ Line = "Get-S3BackupObject -Bucket {0} -Prefix 'imap/my"; Expected = "'imap/my folder/'" }
        @{ Line = 'Get-S3ReplicationStatus -Bucket {0} -Prefix imap/mag/'; Expected = 'imap/mag/l1a/' }
        @{ Line = 'Sync-S3BackupToSource -BackupBucket {0} -SourceBucket elsewhere -Prefix imap/s'; Expected = 'imap/swe/' }
        @{ Line = 'Compare-S3BackupBucket -SourceBucket elsewhere -BackupBucket {0} -Prefix imap/s'; Expected = 'imap/swe/' }
        @{ Line = 'Start-S3BackupBatchRestore -BackupBucket {0} -SourceBucket elsewhere -Prefix imap/s'; Expected = 'imap/swe/' }
        @{ Line = 'Save-S3BackupObject -Bucket {0} -Prefix imap/s'; Expected = 'imap/swe/' }
        @{ Line = 'Set-S3BackupReplicationRule -Bucket {0} -RuleId r -Prefix imap/s'; Expected = 'imap/swe/' }
        @{ Line = 'New-S3BackupReplicationRule -SourceBucket {0} -Prefix imap/s'; Expected = 'imap/swe/' }
    ) {
        Complete ($Line -f $listed) | Should -Be $Expected
    }

    It 'uses the session the command line names: -ProfileName, or a -Session record' {
        Disconnect-S3Backup
        try {
            Complete "Get-S3BackupObject -ProfileName admin -Bucket $listed -Prefix imap/s" | Should -Be 'imap/swe/'
            $adminSession = Connect-S3Backup -ProfileName admin -PassThru
            Disconnect-S3Backup
            Complete "Get-S3BackupObject -Session `$adminSession -Bucket $listed -Prefix imap/s" | Should -Be 'imap/swe/'
        }
        finally { Connect-S3Backup -ProfileName admin }
    }

    It 'offers nothing without a bucket on the line, not the local files that match' {
        $null = New-Item -ItemType Directory -Force (Join-Path $TestDrive 'cwd/imap-local')
        Push-Location (Join-Path $TestDrive 'cwd')
        try { Complete 'Get-S3BackupObject -Prefix ima' | Should -BeNullOrEmpty }
        finally { Pop-Location }
    }

    It 'offers nothing, within seconds, when the endpoint never answers' {
        # Accepts connections (the kernel does) and never answers a request.
        $silent = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $silent.Start()
        try {
            $watch = [Diagnostics.Stopwatch]::StartNew()
            Complete "Get-S3BackupObject -EndpointUrl http://127.0.0.1:$($silent.LocalEndpoint.Port) -Bucket $listed -Prefix imap/" | Should -BeNullOrEmpty
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 5
        }
        finally { $silent.Stop() }
    }
}
