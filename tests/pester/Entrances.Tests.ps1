BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $null = Set-AdminProfileFile
    Connect-S3Backup -ProfileName admin

    # The runbook's pair: the source replicates to its backup (a real rule, as New-S3BackupReplicationRule writes it).
    $source = New-TestName 'sds-data-dev'
    $backup = "$source-backup"
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $source -Versioned
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $backup -Versioned
    $null = New-S3BackupReplicationRule -SourceBucket $source -DestinationBucket $backup -DestinationAccountId 123456789012 -RoleArn 'arn:aws:iam:::role/BackupRole'

    $good = 1..6 | ForEach-Object { 'imap/mag/l1a/2025/01/imap_mag_l1a_{0:D2}.cdf' -f $_ }
    foreach ($key in $good + 'imap/swe/l0/2025/01/swe.pkts', 'imap/hit/l1/hit.cdf') {
        Write-TestObject -Bucket $backup -Key $key -Bytes (Get-RandomBytes 256)
    }
    # Junk in the source that the backup never had, under a prefix of its own.
    1..4 | ForEach-Object { Write-TestObject -Bucket $source -Key ('imap/tmp/junk-{0}.tmp' -f $_) -Bytes (Get-RandomBytes 32) }

    # Every version of both buckets, as one text: "nothing was written" means this does not change.
    function Get-AllVersions {
        @($backup, $source | ForEach-Object { Get-S3BackupObject -Bucket $_ -AllVersions | ForEach-Object { "$($_.Bucket)/$($_.Key)@$($_.VersionId)" } }) -join "`n"
    }
}

AfterAll { Disconnect-S3Backup }

Describe 'Every entrance keeps the backup safe' {
    It 'a compare run with the bucket names swapped, piped into a restore, writes nothing into the backup' {
        $before = Get-AllVersions
        $swapped = Compare-S3BackupBucket -SourceBucket $backup -BackupBucket $source -Prefix imap/tmp/ -WarningVariable warned -WarningAction SilentlyContinue
        @($swapped).Count | Should -Be 4 -Because 'the junk is "missing in source" when the names are swapped'
        "$warned" | Should -Match "replicates to s3://$backup" -Because 'the compare itself says the names look the wrong way round'
        { $swapped | Sync-S3BackupToSource } | Should -Throw -ErrorId 'BucketsReversed,*'
        Get-AllVersions | Should -Be $before
        (Get-S3BackupObject -Bucket $backup -Prefix imap/tmp/) | Should -BeNullOrEmpty
    }

    It 'the same swap by bucket names, and the same bucket twice, are refused alike' {
        $before = Get-AllVersions
        { Sync-S3BackupToSource -BackupBucket $source -SourceBucket $backup -Prefix imap/tmp/ } | Should -Throw -ErrorId 'BucketsReversed,*'
        { Get-S3BackupObject -Bucket $source -Prefix imap/tmp/ | Sync-S3BackupToSource -SourceBucket $source } | Should -Throw -ErrorId 'SameBucket,*'
        { Get-S3BackupObject -Bucket $source -Prefix imap/tmp/ | Sync-S3BackupToSource -SourceBucket $backup } | Should -Throw -ErrorId 'BucketsReversed,*'
        Get-AllVersions | Should -Be $before
    }

    It 'piped objects with positional bucket names restore only what was piped' {
        $target = New-TestName 'positional'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $target -Versioned
        $results = Get-S3BackupObject -Bucket $backup -Prefix imap/mag/ | Sync-S3BackupToSource $backup $target
        $results.Key | Sort-Object | Should -Be $good
        (Get-S3BackupObject -Bucket $target).Key | Sort-Object | Should -Be $good -Because 'nothing outside the piped records is restored'
    }

    It 'piped objects of another bucket than the one named are refused before anything is done' {
        $target = New-TestName 'mismatch'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $target -Versioned
        $other = New-TestName 'other-backup'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $other
        { Get-S3BackupObject -Bucket $backup -Prefix imap/mag/ | Sync-S3BackupToSource $other $target } | Should -Throw -ErrorId 'InputMismatch,*'
        Get-S3BackupObject -Bucket $target | Should -BeNullOrEmpty
    }
}

Describe 'Bucket selection parameters with piped rows' {
    # Before, PowerShell took these for the bucket-name set and prompted for -BackupBucket (or, in a runbook, failed binding).
    It '<Command> with -<Given> and rows from <Entrance>: one clear refusal, nothing changed' -ForEach @(
        @{ Command = 'Sync-S3BackupToSource'; Parameter = @{ Mirror = $true; Prefix = 'imap/tmp/' }; Given = 'Prefix'; Entrance = 'Compare-S3BackupBucket' }
        @{ Command = 'Sync-S3BackupToSource'; Parameter = @{ AsOf = '2025-01-01T00:00:00Z' }; Given = 'AsOf'; Entrance = 'Get-S3BackupObject' }
        @{ Command = 'Sync-S3BackupToSource'; Parameter = @{ Include = '*.cdf'; MatchFileName = $true }; Given = 'Include'; Entrance = 'Import-Csv' }
        @{ Command = 'Compare-S3BackupBucket'; Parameter = @{ Prefix = 'imap/' }; Given = 'Prefix'; Entrance = 'Get-S3BackupObject' }
        @{ Command = 'Start-S3BackupBatchRestore'; Parameter = @{ Exclude = '*.tmp' }; Given = 'Exclude'; Entrance = 'Compare-S3BackupBucket' }
        @{ Command = 'Save-S3BackupObject'; Parameter = @{ Prefix = 'imap/mag/'; IgnoreCase = $true }; Given = 'Prefix'; Entrance = 'Get-S3BackupObject' }
    ) {
        $before = Get-AllVersions
        $rows = switch ($Entrance) {
            'Compare-S3BackupBucket' { Compare-S3BackupBucket -SourceBucket $source -BackupBucket $backup -Prefix imap/ }
            'Get-S3BackupObject' { Get-S3BackupObject -Bucket $backup -Prefix imap/mag/ }
            'Import-Csv' {
                $csv = Join-Path $TestDrive 'rows.csv'
                Get-S3BackupObject -Bucket $backup -Prefix imap/mag/ | Export-Csv $csv
                Import-Csv $csv
            }
        }
        # What the command needs besides the rows (compare results name the source themselves).
        $pair = @{}
        if ($Command -eq 'Save-S3BackupObject') { $pair.Destination = Join-Path $TestDrive 'not-written' }
        elseif ($Entrance -ne 'Compare-S3BackupBucket') { $pair.SourceBucket = $source }
        if ($Command -eq 'Start-S3BackupBatchRestore') { $pair += @{ WorkBucket = $backup; RoleArn = 'arn:aws:iam::123456789012:role/BatchOperationsRole' } }
        { $rows | & $Command @Parameter @pair -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidArgument,*'
        $error[0].Exception.Message | Should -Match ("^-$Given.* the keys of whole buckets, but rows were piped in: the rows are the selection\..*Nothing was changed\.$")
        Get-AllVersions | Should -Be $before
        Join-Path $TestDrive 'not-written' | Should -Not -Exist
    }
}

Describe 'A stopped restore stops' {
    It '| Select-Object -First 5 leaves nothing running and says exactly what it did' {
        $from = New-TestName 'first-from'; $to = New-TestName 'first-to'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $from
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $to
        1..400 | ForEach-Object { 'many/{0:D5}.cdf' -f $_ } | Write-LocalS3Object -Server $Server -ModulePath $ModulePath -Bucket $from -Content ('x' * 256)

        $recording = New-RecordingShell "Sync-S3BackupToSource -BackupBucket $from -SourceBucket $to | Select-Object -First 5"
        $first = $recording.Shell.Invoke()
        $recording.Shell.Dispose(); $recording.Runspace.Dispose()
        $console = $recording.Console

        $first.Count | Should -Be 5
        $landed = @(Get-S3BackupObject -Bucket $to).Count
        Start-Sleep -Seconds 3
        @(Get-S3BackupObject -Bucket $to).Count | Should -Be $landed -Because 'no copy of the run is still running once it has returned'
        $landed | Should -BeLessThan 400
        @($console.Warnings).Count | Should -Be 1
        # Pester's Should -Match does not fill $Matches: match with the operator, then check the number.
        @($console.Warnings)[0] -match "^Restore to s3://$to \(stopped early\): (?<copied>[\d,]+) copied " | Should -BeTrue
        [int]($Matches.copied -replace ',') | Should -Be $landed -Because 'what it says it did is what it did'
    }

    It 'Save-S3BackupObject | Select-Object -First 2 downloads no more than it says' {
        $from = New-TestName 'save-from'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $from
        1..150 | ForEach-Object { 'files/{0:D4}.bin' -f $_ } | Write-LocalS3Object -Server $Server -ModulePath $ModulePath -Bucket $from -Content ('y' * 1024)
        $folder = Join-Path $TestDrive 'first-two'

        $recording = New-RecordingShell "Save-S3BackupObject -Bucket $from -Destination '$folder' | Select-Object -First 2"
        $null = $recording.Shell.Invoke()
        $recording.Shell.Dispose(); $recording.Runspace.Dispose()
        $console = $recording.Console

        $saved = @(Get-ChildItem $folder -Recurse -File | Where-Object Name -NotLike '.s3partial-*').Count
        Start-Sleep -Seconds 2
        @(Get-ChildItem $folder -Recurse -File | Where-Object Name -NotLike '.s3partial-*').Count | Should -Be $saved
        @($console.Warnings)[0] -match "^Download to .* \(stopped early\): (?<done>[\d,]+) downloaded " | Should -BeTrue
        [int]($Matches.done -replace ',') | Should -Be $saved
    }
}

Describe 'A reviewed plan, carried out exactly' {
    BeforeAll {
        $target = New-TestName 'reviewed'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $target -Versioned
        # A newer version arrives in the backup after the review: the plan must still restore the version reviewed.
        $reviewedKey = $good[0]
        $reviewedBytes = Get-TestObjectBytes $backup $reviewedKey
        $plan = Sync-S3BackupToSource $backup $target -Prefix imap/mag/ -WhatIf
        $plan | Export-Csv (Join-Path $TestDrive 'plan.csv')
        $plan | Export-Clixml (Join-Path $TestDrive 'plan.clixml')
        Write-TestObject -Bucket $backup -Key $reviewedKey -Bytes (Get-RandomBytes 256)
    }

    It 'the -WhatIf plan pins every row to the backup version it would read' {
        $plan.Action | Select-Object -Unique | Should -Be 'WouldCopy'
        $plan | ForEach-Object { $_.BackupVersionId | Should -Not -BeNullOrEmpty; $_.BackupBucket | Should -Be $backup; $_.SourceBucket | Should -Be $target }
        Get-S3BackupObject -Bucket $target | Should -BeNullOrEmpty
    }

    It 'export, review, import: exactly the reviewed rows are restored, each at its reviewed version' {
        $reviewed = Import-Csv (Join-Path $TestDrive 'plan.csv') | Where-Object Key -NotLike '*_06.cdf'
        $results = $reviewed | Sync-S3BackupToSource
        $results.Key | Sort-Object | Should -Be ($good | Where-Object { $_ -notlike '*_06.cdf' })
        $results.Action | Select-Object -Unique | Should -Be 'Copied'
        (Get-S3BackupObject -Bucket $target).Key | Sort-Object | Should -Be ($good | Where-Object { $_ -notlike '*_06.cdf' })
        [Convert]::ToHexString((Get-TestObjectBytes $target $reviewedKey)) | Should -Be ([Convert]::ToHexString($reviewedBytes)) -Because 'the version reviewed, not the newer one'
        foreach ($row in $results) {
            $row.BackupVersionId | Should -Be ($plan | Where-Object Key -EQ $row.Key).BackupVersionId
            $row.SourceVersionId | Should -Not -BeNullOrEmpty
        }
    }

    It 'Import-Clixml binds the same way, and what is already there is skipped' {
        $again = Import-Clixml (Join-Path $TestDrive 'plan.clixml') | Sync-S3BackupToSource -IncludeSkipped
        ($again | Where-Object Action -EQ Copied).Key | Should -Be ($good | Where-Object { $_ -like '*_06.cdf' })
        ($again | Where-Object Action -EQ Skipped).Count | Should -Be 5
    }

    It 'a row that is neither a backup object nor a restore record is refused with a clear error' {
        $failure = $null
        try { [pscustomobject]@{ Name = 'x' } | Sync-S3BackupToSource -SourceBucket $target -ErrorAction Stop } catch { $failure = $_ }
        $failure.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentTransformationError,*'
        $failure.Exception.Message | Should -Match 'needs Key and Bucket'
    }
}
