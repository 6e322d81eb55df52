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

Describe 'Default views at 79, 80 and 120 columns' {
    BeforeAll {
        $keys = 1..3 | ForEach-Object { 'imap/mag/l1a/2025/01/imap_mag_l1a_norm-mago_2025010{0}_v001.cdf' -f $_ }
        $records = @{
            SyncResult = $keys | ForEach-Object { [S3Replication.Records.SyncResult]@{ Key = $_; Action = 'Copied'; Reason = 'MissingInSource'; Size = 14336; Bytes = 14336; Seconds = 0.012 } }
            TransferResult = $keys | ForEach-Object { [S3Replication.Records.TransferResult]@{ Bucket = 'sds-data-dev-backup'; Key = $_; Path = "/home/ops/restore/$_"; Action = 'Downloaded'; Reason = 'Missing'; Size = 14336; Bytes = 14336 } }
            CompareResult = $keys | ForEach-Object { [S3Replication.Records.CompareResult]@{ Bucket = 'sds-data-dev-backup'; Key = $_; State = 'MissingInSource'; BackupSize = 14336; SourceBucket = 'sds-data-dev' } }
            S3ObjectRecord = $keys | ForEach-Object { [S3Replication.Records.S3ObjectRecord]@{ Bucket = 'sds-data-dev-backup'; Key = $_; Size = 14336; LastModified = [datetime]'2025-01-02T03:04:05Z'; StorageClass = 'STANDARD' } }
            ReplicationStatusRecord = $keys | ForEach-Object { [S3Replication.Records.ReplicationStatusRecord]@{ Bucket = 'sds-data-dev'; Key = $_; Status = 'FAILED' } }
        }

        # What the views show, as long as it gets: 63-character bucket names, role and assumed-role ARNs, deep keys,
        # the access checks' sentences. Shows lists the values that must read whole in the table. A script block, so
        # that the real-console test builds the same records in a pwsh of its own.
        $newCases = {
            $key = 'imap/mag/l1a/2025/01/imap_mag_l1a_norm-mago_20250107_v001.cdf'
            $longBucket = 'sds-data-dev-backup-replica-eu-west-2-987654321098-archive-logs'
            $roleArn = 'arn:aws:iam::123456789012:role/SdsDataManager-dev-BackupRole'
            $assumedRoleArn = 'arn:aws:sts::123456789012:assumed-role/SdsDataManager-dev-BackupRole/S3Replication-1796194081'
            $writeHint = 'The identity needs s3:PutObject on arn:aws:s3:::sds-data-dev/* (allow it in the IAM policy).'
            $regionHint = 'The bucket is in eu-west-2, not us-east-1: connect with -Region eu-west-2, or leave -Region out to use an AWS region the profile names.'
            $jobDescription = 'S3Replication restore of s3://sds-data-dev-backup to s3://sds-data-dev'
            $version = [psobject]::AsPSObject([S3Replication.Records.S3ObjectRecord]@{ Bucket = $longBucket; Key = $key; Size = 1; LastModified = [datetime]'2025-01-02T03:04:05Z'; VersionId = '4I5CdbTlRRMJfFHQ7Wbc7T5dvDDrHK.' })
            $version.PSObject.TypeNames.Insert(0, 'S3Replication.Records.S3ObjectRecord#Version')
            $deleteMarker = [psobject]::AsPSObject([S3Replication.Records.S3ObjectRecord]@{ Bucket = $longBucket; Key = $key; LastModified = [datetime]'2025-01-02T03:04:05Z'; VersionId = 'Vb3DkQ0.pH2bNmOZ2cvbsT1xyz7kB1fz'; IsDeleteMarker = $true; IsLatest = $false })
            $deleteMarker.PSObject.TypeNames.Insert(0, 'S3Replication.Records.S3ObjectRecord#Version')
            $principal = [S3Replication.Records.TrustPrincipalRecord]@{ RoleName = 'SdsDataManager-dev-BackupRole'; Principal = $assumedRoleArn; Type = 'AWS'; Effect = 'Allow'; Sid = 'AllowOperators'; HasCondition = $true }
            $cases = @{
                AwsProfileRecord = @(
                    @{ Record = [S3Replication.Records.AwsProfileRecord]@{ Name = 'sds-data-dev-backup-role'; Kind = 'AssumeRole'; SourceProfile = 'sds-data-dev-operator'; Region = 'eu-west-2'; RoleArn = $roleArn }
                        Shows = 'sds-data-dev-backup-role', 'AssumeRole', 'sds-data-dev-operator', $roleArn }
                    @{ Record = ($sso = [S3Replication.Records.AwsProfileRecord]@{ Name = 'sds-data-dev-operator'; Kind = 'Sso'; SsoSession = 'sds-identity-center'; SsoAccountId = '210987654321'; SsoRoleName = 'SdsDataManager-dev-Operator'; Region = 'ap-southeast-2'; TokenState = 'Valid'; TokenExpiresAt = [datetime]'2026-12-02T07:48:01' })
                        Shows = 'sds-identity-center', 'SdsDataManager-dev-Operator', '210987654321', 'ap-southeast-2', $sso.SignIn }
                    @{ Record = [S3Replication.Records.AwsProfileRecord]@{ Name = 'sandbox'; Kind = 'Sso'; SsoStartUrl = 'http://127.0.0.1:8449/start'; SsoAccountId = '123456789012'; SsoRoleName = 'Admin'; TokenState = 'Refreshable'; EndpointUrl = 'http://127.0.0.1:7480' }
                        Shows = 'http://127.0.0.1:8449/start', 'expired, refreshable' }
                    @{ Record = [S3Replication.Records.AwsProfileRecord]@{ Name = 'ec2-backup'; Kind = 'AssumeRole'; CredentialSource = 'Ec2InstanceMetadata'; RoleArn = $roleArn }
                        Shows = 'ec2-backup', 'Ec2InstanceMetadata', $roleArn }
                )
                ReplicationRuleRecord = @{ Record = [S3Replication.Records.ReplicationRuleRecord]@{ Bucket = $longBucket; RuleId = 'ReplicateToBackup-imap-mag'; Status = 'Enabled'; Priority = 6; Prefix = 'imap/mag/l1a/'; Tags = @{ 'backup-tier' = 'nightly' }
                        DestinationBucket = 'sds-data-dev-backup'; DestinationAccountId = '123456789012'; StorageClass = 'INTELLIGENT_TIERING' }
                    Shows = $longBucket, 'ReplicateToBackup-imap-mag', 'imap/mag/l1a/', 'backup-tier=nightly', 'sds-data-dev-backup', '123456789012', 'INTELLIGENT_TIERING' }
                ReplicationStatusRecord = @{ Record = [S3Replication.Records.ReplicationStatusRecord]@{ Bucket = $longBucket; Key = $key; Status = 'COMPLETED' }; Shows = $longBucket, $key }
                ReplicationStatusSummary = @{ Record = [S3Replication.Records.ReplicationStatusSummary]@{ Bucket = $longBucket; Status = 'COMPLETED'; Count = 1234567 }; Shows = $longBucket, 'COMPLETED', '1234567' }
                TrustPolicyRecord = @{ Record = [S3Replication.Records.TrustPolicyRecord]@{ RoleName = 'SdsDataManager-dev-BackupRole'; RoleArn = $roleArn; StatementCount = 2; Size = 1234; Principals = @($principal) }
                    Shows = 'SdsDataManager-dev-BackupRole', $roleArn }
                TrustPrincipalRecord = @(
                    @{ Record = $principal; Shows = $assumedRoleArn }
                    @{ Record = [S3Replication.Records.TrustPrincipalRecord]@{ RoleName = 'SdsDataManager-dev-BackupRole'; Principal = 'AROA3XFRBF23EXAMPLEID'; Type = 'AWS'; Effect = 'Allow'; IsOrphaned = $true }; Shows = 'AROA3XFRBF23EXAMPLEID' }
                )
                TrustChangeRecord = @{ Record = [S3Replication.Records.TrustChangeRecord]@{ RoleName = 'SdsDataManager-dev-BackupRole'; Principal = $assumedRoleArn; Result = 'AlreadyTrusted' }
                    Shows = 'SdsDataManager-dev-BackupRole', $assumedRoleArn, 'AlreadyTrusted' }
                S3ObjectRecord = @{ Record = [S3Replication.Records.S3ObjectRecord]@{ Bucket = $longBucket; Key = $key; Size = 1234567890; LastModified = [datetime]'2025-01-02T03:04:05Z'; StorageClass = 'INTELLIGENT_TIERING' }
                    Shows = $key, 'INTELLIGENT_TIERING', '1.1 GiB' }
                # A version id has no separator to break at: the view shortens it (…), the record keeps it whole.
                'S3ObjectRecord#Version' = @(
                    @{ Record = $version; Shows = $key, '4I5CdbTlRRM…', 'latest' }
                    @{ Record = $deleteMarker; Shows = $key, 'Vb3DkQ0.pH2…', 'delete marker' }
                )
                SyncResult = @{ Record = [S3Replication.Records.SyncResult]@{ Key = $key; Action = 'NeedsRestore'; Reason = 'RestoreInProgress'; Size = 1234567890 }; Shows = $key, 'NeedsRestore', 'RestoreInProgress' }
                UndoResult = @{ Record = [S3Replication.Records.UndoResult]@{ Key = $key; Action = 'LeftAlone'; Reason = 'ChangedSinceRestore'; SourceBucket = $longBucket; CurrentVersionId = '4I5CdbTlRRMJfFHQ7Wbc7T5dvDDrHK.' }
                    Shows = $key, 'LeftAlone', 'ChangedSinceRestore', '4I5CdbTlRRMJfFH…' }
                CompareResult = @{ Record = [S3Replication.Records.CompareResult]@{ Bucket = $longBucket; Key = $key; State = 'MissingInBackup'; Reason = 'MissingInBackup'; SourceSize = 1234567890; SourceBucket = 'sds-data-dev' }
                    Shows = $key, 'MissingInBackup' }
                TransferResult = @{ Record = [S3Replication.Records.TransferResult]@{ Bucket = $longBucket; Key = $key; Path = "/home/ops/restore/$key"; Action = 'WouldDownload'; Reason = 'FolderMarker'; Size = 1234567890 }
                    Shows = $key, 'WouldDownload', 'FolderMarker' }
                AccessCheckRecord = @(
                    @{ Record = [S3Replication.Records.AccessCheckRecord]@{ Bucket = $longBucket; Check = 'Write'; Outcome = 'Denied'; ErrorCode = 'AccessDenied'; Target = 'arn:aws:s3:::sds-data-dev/*'; Hint = $writeHint }
                        Shows = $longBucket, 'AccessDenied', $writeHint }
                    @{ Record = [S3Replication.Records.AccessCheckRecord]@{ Bucket = $longBucket; Check = 'Region'; Outcome = 'Error'; ErrorCode = 'PermanentRedirect'; Target = $longBucket; Hint = $regionHint }
                        Shows = 'PermanentRedirect', $regionHint }
                    @{ Record = [S3Replication.Records.AccessCheckRecord]@{ Check = 'Identity'; Outcome = 'Allowed'; Target = 'sds-data-dev-backup-role'; Detail = $assumedRoleArn }; Shows = $assumedRoleArn }
                )
                ReplicationCheckRecord = @(
                    @{ Record = [S3Replication.Records.ReplicationCheckRecord]@{ SourceBucket = $longBucket; BackupBucket = "$longBucket-backup"; Check = 'BucketPolicy'; Outcome = 'NotEvaluated'
                            Target = 's3:ObjectOwnerOverrideToBucketOwner on arn:aws:s3:::sds-data-dev-backup/*'; Detail = 'Allowed by the bucket policy of sds-data-dev-backup (Replicas), but Replicas has a Condition that was not evaluated.'
                            Hint = 'Check that the Condition holds for S3 replication''s requests (they come from s3.amazonaws.com acting as the role).' }
                        Shows = 'NotEvaluated', 's3:ObjectOwnerOverrideToBucketOwner', 'arn:aws:s3:::sds-data-dev-backup/*', 's3.amazonaws.com' }
                    @{ Record = [S3Replication.Records.ReplicationCheckRecord]@{ SourceBucket = 'sds-data-dev'; Check = 'Rule'; Outcome = 'Passed'; Target = 'rule ReplicateToBackup'
                            Detail = 'Enabled, whole bucket -> s3://sds-data-dev-backup in account 123456789012, storage class STANDARD_IA, delete markers not replicated, owner override on' }
                        Shows = 's3://sds-data-dev', 'Passed', 's3://sds-data-dev-backup', '123456789012', 'STANDARD_IA' }
                )
                TransferSummary = @(
                    @{ Record = [S3Replication.Records.TransferSummary]@{ Activity = 'Restore'; Stopped = $true; Target = "s3://$longBucket"; Transferred = 123456; Skipped = 7; Failed = 1; Bytes = 1234567890; Seconds = 12345.6 }
                        Shows = "s3://$longBucket", 'Restore', '(stopped)', '123456' }
                    @{ Record = [S3Replication.Records.TransferSummary]@{ Activity = 'Download'; Target = '/home/ops/restore/imap/mag/l1a/2025/01'; WouldTransfer = 123456 }
                        Shows = '/home/ops/restore/imap/mag/l1a/2025/01', 'Download', '123456' }
                )
                S3BatchJobRecord = @{ Record = [S3Replication.Records.S3BatchJobRecord]@{ JobId = '3a5b1c9e-8f2d-4c7a-9e1b-0d6f4a2c8e7b'; Status = 'Cancelling'; Priority = 10; TotalTasks = 1234567; SucceededTasks = 1234000; FailedTasks = 567; Description = $jobDescription }
                    Shows = '3a5b1c9e-8f2d-4c7a-9e1b-0d6f4a2c8e7b', 'Cancelling', '1,234,000/1,234,567', $jobDescription }
                S3BatchTaskRecord = @{ Record = [S3Replication.Records.S3BatchTaskRecord]@{ JobId = '3a5b1c9e-8f2d-4c7a-9e1b-0d6f4a2c8e7b'; Bucket = $longBucket; Key = $key; TaskStatus = 'failed'; HttpStatusCode = '403'; ErrorCode = 'InvalidObjectState' }
                    Shows = $key, 'InvalidObjectState' }
            }
            $cases
        }
        $cases = & $newCases
        $tableViews = ([xml](Get-Content (Join-Path $ModulePath 'S3Replication.format.ps1xml') -Raw)).Configuration.ViewDefinitions.View | Where-Object { $_['TableControl'] }

        # A value as a table may show it: whole, or broken across lines after a separator (/ : - _ . =), at a space, or
        # before a camel-case hump in a run with no separator, with the other columns' text between the end of one piece
        # and the start of the next.
        function ConvertTo-WrappedPattern([string] $Value) {
            $break = '[^\n]*\n[^\n]*?'
            $previous = ' '
            -join $(foreach ($char in $Value.ToCharArray()) {
                    if ($char -eq ' ') { "(?: |$break)" }
                    elseif ('/:-_.='.Contains($char)) { [regex]::Escape($char) + "(?:$break)?" }
                    elseif ([char]::IsUpper($char) -and [char]::IsLetterOrDigit($previous) -and -not [char]::IsUpper($previous)) { "(?:$break)?" + [regex]::Escape($char) }
                    else { [regex]::Escape($char) }
                    $previous = $char
                })
        }

        # Whether a cell's text is the value, as a view may show it: its lines joined directly or by a space or tab (a
        # break after a separator, at a space, or at a hump), or its start and an ellipsis (TableText.Shorten), or, for a
        # number or time, a usual display of it (a size in KiB/MiB/GiB, thousands separators, one decimal, local time).
        function Test-CellShowsValue([string] $Cell, $Value) {
            $Cell = $Cell -replace '\r' -replace '\s+$'
            if ($null -eq $Value -or "$Value" -eq '') { return $Cell -eq '' }
            $forms = @("$Value")
            if ($Value -is [datetime]) { $forms += $Value.ToLocalTime().ToString('yyyy-MM-dd HH:mm:ss') }
            if ($Value -is [long] -or $Value -is [int] -or $Value -is [double]) {
                $forms += [S3Replication.Records.ByteSize]::Format($Value), ('{0:N0}' -f $Value), ('{0:N1}' -f $Value)
            }
            $pieces = @($Cell -split '\n' | ForEach-Object { [regex]::Escape($_) })
            $joined = '^' + ($pieces -join '[ \t]?') + '$'
            foreach ($form in $forms) {
                if ($form -cmatch $joined) { return $true }
                if ($Cell.EndsWith('…') -and $pieces.Count -eq 1 -and $form.Length -gt $Cell.Length -and $form.StartsWith($Cell.TrimEnd('…'), [StringComparison]::Ordinal)) { return $true }
            }
            $false
        }

        # What a view's column shows for a record, from the format file: its property, or its script block run on it.
        function Get-CellText($Item, $Record) {
            if ($Item.PropertyName) { return "$($Record.($Item.PropertyName))" }
            "$($Record | ForEach-Object ([scriptblock]::Create($Item.ScriptBlock)))"
        }
    }

    It 'has realistic records for every table view' {
        $tableViews.ViewSelectedBy.TypeName -replace '^S3Replication\.Records\.' | Where-Object { -not $cases.ContainsKey($_) } | Should -BeNullOrEmpty
    }

    It 'labels a column with a property name only where it shows that property''s value, so Format-Table by that name shows what the view shows' {
        $wrong = foreach ($view in $tableViews) {
            $typeName = $view.ViewSelectedBy.TypeName
            $headers = @($view.TableControl.TableHeaders.TableColumnHeader)
            $items = @($view.TableControl.TableRowEntries.TableRowEntry.TableColumnItems.TableColumnItem)
            foreach ($case in $cases[$typeName -replace '^S3Replication\.Records\.']) {
                for ($i = 0; $i -lt $headers.Count; $i++) {
                    $label = $headers[$i].Label
                    # As PowerShell tells a property's label from another (FormatViewGenerator_Table: HeaderMatchesProperty).
                    if (-not $case.Record.PSObject.Properties[$label]) { continue }
                    $cell = Get-CellText $items[$i] $case.Record
                    if (-not (Test-CellShowsValue $cell $case.Record.$label)) {
                        "$typeName's column $label shows '$($cell -replace '\n', '⏎')', its $label is '$($case.Record.$label)'"
                    }
                    elseif ("$($case.Record.$label)" -and -not (($case.Record | Format-Table -Property $label -HideTableHeaders | Out-String) -match '\S')) {
                        "Format-Table $label shows nothing for $typeName"
                    }
                }
            }
        }
        $wrong | Should -BeNullOrEmpty
    }

    It 'has every table fit 79 columns, each cell wrapped or shortened to its own column''s width' {
        foreach ($view in $tableViews) {
            $headers = @($view.TableControl.TableHeaders.TableColumnHeader)
            $items = @($view.TableControl.TableRowEntries.TableRowEntry.TableColumnItems.TableColumnItem)
            $headers.Width | Should -Not -Contain $null -Because "every column of $($view.Name) has a width"
            ($headers.Width | Measure-Object -Sum).Sum + $headers.Count - 1 | Should -BeLessOrEqual 79 -Because "$($view.Name)'s widths and separators fit a console 80 wide (a table is laid out in 79)"
            for ($i = 0; $i -lt $headers.Count; $i++) {
                foreach ($width in [regex]::Matches("$($items[$i].ScriptBlock)", '::(?:Wrap|Shorten)\(.*?, (\d+)\)(?=[^,]*$)') | ForEach-Object { $_.Groups[1].Value }) {
                    [int]$width | Should -Be ([int]$headers[$i].Width) -Because "$($view.Name)'s column $($headers[$i].Label) is wrapped to its width"
                }
            }
        }
    }

    It '<Type> at <Width> columns: every line fits, every value is whole, broken only after a separator or at a space' -ForEach @(
        foreach ($type in 'AwsProfileRecord', 'ReplicationRuleRecord', 'ReplicationStatusRecord', 'ReplicationStatusSummary', 'TrustPolicyRecord',
            'TrustPrincipalRecord', 'TrustChangeRecord', 'S3ObjectRecord', 'S3ObjectRecord#Version', 'SyncResult', 'UndoResult', 'CompareResult',
            'TransferResult', 'AccessCheckRecord', 'ReplicationCheckRecord', 'TransferSummary', 'S3BatchJobRecord', 'S3BatchTaskRecord') {
            foreach ($width in 79, 80, 120) { @{ Type = $type; Width = $width } }
        }
    ) {
        foreach ($case in $cases[$Type]) {
            $text = ($case.Record | Out-String -Width $Width) -replace '\r'
            $text -split "`n" | Where-Object { $_.Length -gt $Width } | Should -BeNullOrEmpty -Because "$Type fits $Width columns:`n$text"
            foreach ($value in $case.Shows) {
                $text | Should -MatchExactly (ConvertTo-WrappedPattern $value) -Because "$Type shows '$value' whole, wrapped after a separator or at a space:`n$text"
            }
        }
    }

    It 'fits a real console 80 columns wide: the tables as pwsh writes them to a terminal (laid out in 79)' {
        # Out-String -Width is not the console's path: there a table is laid out in the buffer's width - 1 and a table
        # wider than that has its last column trimmed. A pwsh on a pseudo-terminal set to 80 columns (script(1)) shows it.
        $script = Get-Command script -CommandType Application -ErrorAction Ignore | Select-Object -First 1
        if (-not $IsLinux -or -not $script) { Set-ItResult -Skipped -Because 'it needs script(1) from util-linux for a terminal'; return }
        $child = Join-Path $TestDrive 'console.ps1'
        Set-Content $child -Value @"
`$PSStyle.OutputRendering = 'PlainText'
Import-Module '$(Join-Path $ModulePath 'S3Replication.psd1')'
"buffer `$(`$Host.UI.RawUI.BufferSize.Width)"
`$cases = & { $newCases }
foreach (`$type in `$cases.Keys) { `$index = 0; foreach (`$case in `$cases[`$type]) { "@@ `$type `$index"; `$index++; `$case.Record | Out-Default } }
"@
        $pwsh = "'$([Environment]::ProcessPath)'" + $(if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') { " '$(Join-Path $PSHOME 'pwsh.dll')'" })
        $output = & $script.Source -qec "stty cols 80 rows 50; export TERM=xterm; exec $pwsh -NoProfile -NonInteractive -File '$child'" /dev/null 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $output
        # The terminal's own sequences (keypad mode) and line ends out; what is left is what the console shows.
        $output = $output -replace '\e\[[0-9;?]*[A-Za-z]|\e[=>]' -replace '\r'
        $output | Should -Match '(?m)^buffer 80$'
        $chunks = $output -split '(?m)^@@ ' | Select-Object -Skip 1
        $chunks.Count | Should -Be ($cases.Values | ForEach-Object { $_ }).Count
        foreach ($chunk in $chunks) {
            $name, $text = $chunk -split '\n', 2
            $type, $index = $name -split ' '
            $text -split '\n' | Where-Object { $_.Length -gt 79 } | Should -BeNullOrEmpty -Because "$type fits a console 80 wide:`n$text"
            foreach ($value in @($cases[$type])[$index].Shows) {
                $text | Should -MatchExactly (ConvertTo-WrappedPattern $value) -Because "$type shows '$value' whole in a console 80 wide, wrapped after a separator or at a space:`n$text"
            }
        }
    }

    It '<Type> at <Width> columns: the key is the last column and no always-empty column is shown' -ForEach @(
        foreach ($type in 'SyncResult', 'TransferResult', 'CompareResult', 'S3ObjectRecord', 'ReplicationStatusRecord') {
            foreach ($width in 79, 80, 120) { @{ Type = $type; Width = $width } }
        }
    ) {
        $text = $records[$Type] | Out-String -Width $Width
        $lines = $text -split "`r?`n"
        $text | Should -Not -Match '…'
        ($lines | Where-Object { $_ -match '^\S' } | Select-Object -First 1) -split '\s+' | Select-Object -Last 1 | Should -Be 'Key'
        $lines[1..3] -join ' ' | Should -Not -Match '\b(Error|Seconds|Verified)\b'
    }

    It 'shows the session as a list, its ARN wrapped at <Width> columns rather than cut' -ForEach @(@{ Width = 79 }, @{ Width = 80 }, @{ Width = 120 }) {
        $session = [S3Replication.Records.S3BackupSession]@{ ProfileName = 'backup-role'; Region = 'eu-west-2'; CredentialKind = 'AssumeRole'
            Arn = 'arn:aws:sts::123456789012:assumed-role/SdsDataManager-dev-BackupRole/S3Replication-1796194081'; Expiration = [datetime]'2026-12-02T07:48:01Z'
            CredentialChain = 'Static (profile imap) -> AssumeRole arn:aws:iam::123456789012:role/SdsDataManager-dev-BackupRole (profile backup-role)' }
        $text = $session | Out-String -Width $Width
        $text -split "`r?`n" | Where-Object { $_.Length -gt $Width } | Should -BeNullOrEmpty
        $text | Should -Not -Match '…'
        $text -replace '\s+', '' | Should -Match 'Arn:arn:aws:sts::123456789012:assumed-role/SdsDataManager-dev-BackupRole/S3Replication-1796194081'
    }

    It 'shows errors and every property in the list view' {
        $failed = [S3Replication.Records.SyncResult]@{ Key = $keys[0]; Action = 'Failed'; Reason = 'Missing'; Size = 14336; Error = 'Restoring ... was denied (AccessDenied).' }
        $failed | Format-List | Out-String | Should -Match 'Error\s+: Restoring \.\.\. was denied'
    }

    It 'shows version ids for version listings, short enough for 79 columns' {
        $version = [S3Replication.Records.S3ObjectRecord]@{ Bucket = 'b'; Key = $keys[0]; Size = 1; LastModified = [datetime]'2025-01-02T03:04:05Z'; VersionId = '4I5CdbTlRRMJfFHQ7Wbc7T5dvDDrHK.'; IsLatest = $true }
        $shown = [psobject]::AsPSObject($version)
        $shown.PSObject.TypeNames.Insert(0, 'S3Replication.Records.S3ObjectRecord#Version')
        $text = $shown | Out-String -Width 79
        $text | Should -Match '4I5CdbTlRRM… latest'
        ($text -split "`n" | Where-Object Length -GT 79) | Should -BeNullOrEmpty
    }
}
