BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $operator = New-LocalS3User -Server $Server -Name (New-TestName 'ops')
    $role = New-LocalS3Role -Server $Server -Name (New-TestName 'BackupRole') -TrustedService 's3.amazonaws.com'
    $local = Get-LocalProfileSetting
    $files = Set-TestProfileFile -Folder (Join-Path $TestDrive 'aws') `
        -Credentials "[admin]`naws_access_key_id = $($Server.AccessKey)`naws_secret_access_key = $($Server.SecretKey)`n[imap]`naws_access_key_id = $($operator.AccessKey)`naws_secret_access_key = $($operator.SecretKey)`n" `
        -Config "[profile admin]`n$local`n[profile imap]`n$local"
    # The examples write a role profile without an endpoint, as on AWS; the environment points every profile here.
    $env:AWS_ENDPOINT_URL = $Server.Endpoint
    $env:AWS_REQUEST_CHECKSUM_CALCULATION = 'when_required'
    $env:AWS_RESPONSE_CHECKSUM_VALIDATION = 'when_required'
    $source = New-TestName 'sds-data-dev'
    $backup = New-TestName 'sds-data-dev-backup'
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $source -Versioned
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $backup -Versioned
    $days = 5..8 | ForEach-Object { "imap/mag/l1a/2025/01/imap_mag_l1a_norm-mago_202501$('{0:D2}' -f $_)_v001.cdf" }
    $days | Write-LocalS3Object -Server $Server -ModulePath $ModulePath -Bucket $backup
    'same/a.txt' | Write-LocalS3Object -Server $Server -ModulePath $ModulePath -Bucket $backup
    'same/a.txt', 'imap/new-since-backup.cdf' | Write-LocalS3Object -Server $Server -ModulePath $ModulePath -Bucket $source
    Connect-S3Backup -ProfileName admin
    $null = New-S3BackupReplicationRule -SourceBucket $source -DestinationBucket $backup -DestinationAccountId 123456789012 -RoleArn $role.Arn -RuleId nightly-backup

    function Complete([string] $Line) { (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText }
    $examples = Join-Path $PSScriptRoot '../../examples'
}

AfterAll { Disconnect-S3Backup }

Describe 'Tab completion' {
    It 'completes profile names from the config files' {
        Complete 'Connect-S3Backup -ProfileName im' | Should -Be 'imap'
    }

    It 'completes bucket names the session can list' {
        $prefix = $source.Substring(0, $source.Length - 2)
        Complete "Get-S3BackupObject -Bucket $prefix" | Should -Be $source
        Complete "Sync-S3BackupToSource -BackupBucket $($backup.Substring(0, $backup.Length - 2))" | Should -Be $backup
    }

    It 'completes bucket names with the profile typed on the line' {
        Disconnect-S3Backup
        try { Complete "Test-S3BackupAccess -ProfileName admin -Bucket $($source.Substring(0, $source.Length - 2))" | Should -Be $source }
        finally { Connect-S3Backup -ProfileName admin }
    }

    It 'completes the rule ids of the bucket on the line' {
        Complete "Get-S3BackupReplicationRule -Bucket $source -RuleId night" | Should -Be 'nightly-backup'
    }

    It 'completes role names' {
        Complete "Get-BackupRoleTrustPolicy -RoleName $($role.Name.Substring(0, $role.Name.Length - 3))" | Should -Be $role.Name
    }

    It 'completes storage classes' {
        Complete 'Set-S3BackupReplicationRule -StorageClass DEEP' | Should -Be 'DEEP_ARCHIVE'
    }

    It 'offers nothing, quickly, when the session cannot answer' {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        Complete 'Get-S3BackupObject -EndpointUrl http://127.0.0.1:9 -Bucket sds' | Should -BeNullOrEmpty
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 10
    }
}

Describe 'The runbook examples under examples/' {
    It 'onboards an operator: trust principal, role profile, access check (and a second run changes nothing)' {
        $output = & (Join-Path $examples 'Add-Operator.ps1') -OperatorArn $operator.Arn -OperatorProfile imap -RoleArn $role.Arn -AdminProfile admin -Bucket $source, $backup
        ($output | Where-Object { $_ -is [S3Replication.Records.AccessCheckRecord] -and $_.Outcome -ne 'Allowed' -and $_.Outcome -ne 'Skipped' }) | Should -BeNullOrEmpty
        Get-Content $files.Config -Raw | Should -BeLike "*[profile backup-role]*role_arn = $($role.Arn)*source_profile = imap*"
        (Get-BackupRoleTrustPolicy -RoleName $role.Name -ProfileName admin).Principals.Principal | Should -Contain $operator.Arn
        $before = Get-Content $files.Config -Raw
        $null = & (Join-Path $examples 'Add-Operator.ps1') -OperatorArn $operator.Arn -OperatorProfile imap -RoleArn $role.Arn -AdminProfile admin -Bucket $source
        Get-Content $files.Config -Raw | Should -Be $before
    }

    It 'nightly check: reports what is not backed up and exits 3' {
        $report = Join-Path $TestDrive 'report.csv'
        $null = & (Join-Path $examples 'Nightly-BackupCheck.ps1') -SourceBucket $source -BackupBucket $backup -ReportPath $report 3>$null
        $LASTEXITCODE | Should -Be 3
        (Import-Csv $report | Where-Object State -EQ 'MissingInBackup').Key | Should -Be 'imap/new-since-backup.cdf'
        # Readable anywhere: no doubled quotes around ETags, ISO 8601 UTC times whatever the culture.
        $text = Get-Content $report -Raw
        $text | Should -Not -Match '""'
        $row = Import-Csv $report | Where-Object State -EQ 'MissingInBackup'
        $row.SourceLastModified | Should -Match '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$'
        $row.SourceETag | Should -Match '^[0-9a-f]{32}$'
    }

    It 'nightly check: exits 0 when the prefix is fully backed up' {
        $null = & (Join-Path $examples 'Nightly-BackupCheck.ps1') -SourceBucket $source -BackupBucket $backup -Prefix same/ -ReportPath (Join-Path $TestDrive 'ok.csv')
        $LASTEXITCODE | Should -Be 0
    }

    It 'ad-hoc restore by instrument and dates: previews, then restores just those days' {
        $restore = Join-Path $examples 'Restore-InstrumentDay.ps1'
        $null = & $restore -Instrument mag -Level l1a -From 2025-01-06 -To 2025-01-07 -BackupBucket $backup -SourceBucket $source -WhatIf
        Get-S3BackupObject -Bucket $source -Prefix imap/mag/ | Should -BeNullOrEmpty
        $null = & $restore -Instrument mag -Level l1a -From 2025-01-06 -To 2025-01-07 -BackupBucket $backup -SourceBucket $source
        (Get-S3BackupObject -Bucket $source -Prefix imap/mag/).Key | Should -Be ($days[1..2])
    }
}

Describe 'Default views at 80 and 120 columns' {
    BeforeAll {
        $keys = 1..3 | ForEach-Object { 'imap/mag/l1a/2025/01/imap_mag_l1a_norm-mago_2025010{0}_v001.cdf' -f $_ }
        $records = @{
            SyncResult = $keys | ForEach-Object { [S3Replication.Records.SyncResult]@{ Key = $_; Action = 'Copied'; Reason = 'MissingInSource'; Size = 14336; Bytes = 14336; Seconds = 0.012 } }
            TransferResult = $keys | ForEach-Object { [S3Replication.Records.TransferResult]@{ Bucket = 'sds-data-dev-backup'; Key = $_; Path = "/home/ops/restore/$_"; Action = 'Downloaded'; Reason = 'Missing'; Size = 14336; Bytes = 14336 } }
            CompareResult = $keys | ForEach-Object { [S3Replication.Records.CompareResult]@{ Bucket = 'sds-data-dev-backup'; Key = $_; State = 'MissingInSource'; BackupSize = 14336; SourceBucket = 'sds-data-dev' } }
            S3ObjectRecord = $keys | ForEach-Object { [S3Replication.Records.S3ObjectRecord]@{ Bucket = 'sds-data-dev-backup'; Key = $_; Size = 14336; LastModified = [datetime]'2025-01-02T03:04:05Z'; StorageClass = 'STANDARD' } }
            ReplicationStatusRecord = $keys | ForEach-Object { [S3Replication.Records.ReplicationStatusRecord]@{ Bucket = 'sds-data-dev'; Key = $_; Status = 'FAILED' } }
        }
    }

    It '<Type> at <Width> columns: every line fits, every key is whole, no always-empty column' -ForEach @(
        foreach ($type in 'SyncResult', 'TransferResult', 'CompareResult', 'S3ObjectRecord', 'ReplicationStatusRecord') {
            foreach ($width in 80, 120) { @{ Type = $type; Width = $width } }
        }
    ) {
        $text = $records[$Type] | Out-String -Width $Width
        $lines = $text -split "`r?`n"
        $lines | Where-Object { $_.Length -gt $Width } | Should -BeNullOrEmpty
        $text | Should -Not -Match '…'
        # A key may wrap at 80 columns, but all of it is there, in order.
        $joined = ($lines | Where-Object { $_ -notmatch '^-+' } | ForEach-Object { $_.Trim() }) -join ''
        foreach ($key in $keys) { ($joined -replace '\s', '') | Should -Match ([regex]::Escape($key)) }
        if ($Width -eq 120) {
            foreach ($key in $keys) { $lines | Where-Object { $_.EndsWith($key) } | Should -Not -BeNullOrEmpty -Because "$key fits on its line at 120 columns" }
        }
        ($lines | Where-Object { $_ -match '^\S' } | Select-Object -First 1) -split '\s+' | Select-Object -Last 1 | Should -Be 'Key'
        $lines[1..3] -join ' ' | Should -Not -Match '\b(Error|Seconds|Verified)\b'
    }

    It 'sessions, profiles, rules and access checks at <Width> columns: every line fits and no value is cut' -ForEach @(@{ Width = 80 }, @{ Width = 120 }) {
        $shown = @(
            [S3Replication.Records.S3BackupSession]@{ ProfileName = 'backup-role'; Region = 'eu-west-2'; CredentialKind = 'AssumeRole'
                Arn = 'arn:aws:sts::123456789012:assumed-role/SdsDataManager-dev-BackupRole/S3Replication-1796194081'; Expiration = [datetime]'2026-12-02T07:48:01Z'
                CredentialChain = 'Static (profile imap) -> AssumeRole arn:aws:iam::123456789012:role/SdsDataManager-dev-BackupRole (profile backup-role)' }
            [S3Replication.Records.AwsProfileRecord]@{ Name = 'backup-role'; Kind = 'AssumeRole'; SourceProfile = 'imap'; Region = 'eu-west-2'
                RoleArn = 'arn:aws:iam::123456789012:role/SdsDataManager-dev-BackupRole' }
            [S3Replication.Records.ReplicationRuleRecord]@{ Bucket = 'sds-data-dev'; RuleId = 'ReplicateToBackup'; Status = 'Enabled'; Priority = 6
                DestinationBucket = 'sds-data-dev-backup'; DestinationAccountId = '123456789012' }
            [S3Replication.Records.AccessCheckRecord]@{ Bucket = 'sds-data-dev'; Check = 'Write'; Outcome = 'Denied'; ErrorCode = 'AccessDenied'
                Target = 'arn:aws:s3:::sds-data-dev/*'; Hint = 'The identity needs s3:PutObject on arn:aws:s3:::sds-data-dev/* (allow it in the IAM policy).' }
        )
        foreach ($record in $shown) {
            $text = $record | Out-String -Width $Width
            $text -split "`r?`n" | Where-Object { $_.Length -gt $Width } | Should -BeNullOrEmpty -Because "$($record.GetType().Name) fits $Width columns"
            $text | Should -Not -Match '…' -Because "$($record.GetType().Name) cuts nothing"
        }
        # The session is a list: its ARN is all there, wrapped at 80 columns rather than cut.
        ($shown[0] | Out-String -Width $Width) -replace '\s+', '' | Should -Match 'Arn:arn:aws:sts::123456789012:assumed-role/SdsDataManager-dev-BackupRole/S3Replication-1796194081'
    }

    It 'shows errors and every property in the list view' {
        $failed = [S3Replication.Records.SyncResult]@{ Key = $keys[0]; Action = 'Failed'; Reason = 'Missing'; Size = 14336; Error = 'Restoring ... was denied (AccessDenied).' }
        $failed | Format-List | Out-String | Should -Match 'Error\s+: Restoring \.\.\. was denied'
    }

    It 'shows version ids for version listings, short enough for 80 columns' {
        $version = [S3Replication.Records.S3ObjectRecord]@{ Bucket = 'b'; Key = $keys[0]; Size = 1; LastModified = [datetime]'2025-01-02T03:04:05Z'; VersionId = '4I5CdbTlRRMJfFHQ7Wbc7T5dvDDrHK.'; IsLatest = $true }
        $shown = [psobject]::AsPSObject($version)
        $shown.PSObject.TypeNames.Insert(0, 'S3Replication.Records.S3ObjectRecord#Version')
        $text = $shown | Out-String -Width 80
        $text | Should -Match '4I5CdbTlRRM… latest'
        ($text -split "`n" | Where-Object Length -GT 80) | Should -BeNullOrEmpty
    }
}
