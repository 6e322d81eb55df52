# Undo-S3BackupRestore on the local server: a rollback (-AsOf T -Mirror) undone from its records piped, from Import-Csv and
# from Import-Clixml; each key back at its previous version, byte for byte and version for version; a key changed since left alone.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $null = Set-AdminProfileFile
    $PSDefaultParameterValues['*-S3Backup*:ProfileName'] = 'admin'
    $PSDefaultParameterValues['Undo-S3BackupRestore:ProfileName'] = 'admin'
    $PSDefaultParameterValues['Sync-S3BackupToSource:ProfileName'] = 'admin'

    function Set-Text([string] $Bucket, [string] $Key, [string] $Text) { Write-TestObject -Bucket $Bucket -Key $Key -Bytes ([Text.Encoding]::UTF8.GetBytes($Text)) }

    # Every version and delete marker under a prefix, newest first per key: "nothing changed" means this is the same before and after.
    function Get-VersionState([string] $Bucket, [string] $Prefix) {
        $client = New-LocalS3Client -Server $Server -ModulePath $ModulePath
        try {
            $response = $client.ListVersionsAsync([Amazon.S3.Model.ListVersionsRequest]@{ BucketName = $Bucket; Prefix = $Prefix }).GetAwaiter().GetResult()
            ($response.Versions | ForEach-Object { "$($_.Key)@$($_.VersionId)$(if ($_.IsDeleteMarker) { '(marker)' })" }) -join ';'
        }
        finally { $client.Dispose() }
    }

    # What a reader sees under a prefix: each listed key with the SHA-256 of its bytes.
    function Get-Bodies([string] $Bucket, [string] $Prefix) {
        (Get-S3BackupObject -Bucket $Bucket -Prefix $Prefix | ForEach-Object {
            "$($_.Key)=$([Convert]::ToHexString([Security.Cryptography.SHA256]::HashData([byte[]](Get-TestObjectBytes -Bucket $Bucket -Key $_.Key))))"
        }) -join ';'
    }

    $backup = New-TestName 'undo-backup'
    $source = New-TestName 'undo-source'
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $backup -Versioned
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $source -Versioned

    # One layout per way of undoing, each under its own prefix: the state at T (replicated to both), a file only the
    # backup has, then an incident after T that replication carried to both: a overwritten, new.csv written, c deleted.
    $scenarios = 'piped/', 'csv/', 'clixml/', 'twice/'
    foreach ($prefix in $scenarios) {
        foreach ($bucket in $backup, $source) {
            Set-Text $bucket "${prefix}a.csv" 'a at T'
            Set-Text $bucket "${prefix}b.csv" 'b at T'
            Set-Text $bucket "${prefix}c.csv" 'c at T'
        }
        Set-Text $backup "${prefix}created.csv" 'only the backup has it'
    }
    Start-Sleep -Milliseconds 1500
    $T = [DateTime]::UtcNow
    Start-Sleep -Milliseconds 1500
    foreach ($prefix in $scenarios) {
        foreach ($bucket in $backup, $source) {
            Set-Text $bucket "${prefix}a.csv" 'a overwritten by the bad run'
            Set-Text $bucket "${prefix}new.csv" 'written by the bad run'
            Remove-TestObject -Bucket $bucket -Key "${prefix}c.csv"
        }
    }

    # The rollback of one prefix, with what the source held before it.
    function Invoke-Rollback([string] $Prefix) {
        $before = [pscustomobject]@{ Versions = Get-VersionState $source $Prefix; Content = Get-Bodies $source $Prefix }
        $run = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -Prefix $Prefix -AsOf $T -Mirror -IncludeSkipped
        [pscustomobject]@{ Before = $before; Run = $run; After = [pscustomobject]@{ Versions = Get-VersionState $source $Prefix; Content = Get-Bodies $source $Prefix } }
    }

    # The checks every way of undoing must pass: the source exactly as before the rollback, and one result per change.
    function Assert-Undone($Rollback, $Results, [string] $Prefix) {
        Get-VersionState $source $Prefix | Should -Be $Rollback.Before.Versions -Because 'exactly the versions the rollback made are gone'
        Get-Bodies $source $Prefix | Should -Be $Rollback.Before.Content -Because 'every key is back at its previous version, byte for byte'
        @($Results).Count | Should -Be 4
        ($Results | Where-Object Action -EQ Undone).Count | Should -Be 4
        ($Results | Where-Object Key -EQ "${Prefix}a.csv").Reason | Should -Be 'Replaced'
        ($Results | Where-Object Key -EQ "${Prefix}c.csv").Reason | Should -Be 'Created' -Because 'c was deleted before the rollback copied it back: it is gone again'
        ($Results | Where-Object Key -EQ "${Prefix}created.csv").Reason | Should -Be 'Created'
        ($Results | Where-Object Key -EQ "${Prefix}new.csv").Reason | Should -Be 'MarkerAdded'
        Get-S3BackupObject -Bucket $source -Prefix "${Prefix}created.csv" -AllVersions | Should -BeNullOrEmpty -Because 'a key the restore created has no version left'
    }
}

Describe 'Undoing a rollback from its piped records' {
    BeforeAll { $rollback = Invoke-Rollback 'piped/' }

    It 'rolled back: Copied rows name the version created, Deleted rows the delete marker, Skipped rows changed nothing' {
        ($rollback.Run | Where-Object Action -EQ Copied).Key | Sort-Object | Should -Be @('piped/a.csv', 'piped/c.csv', 'piped/created.csv')
        ($rollback.Run | Where-Object Action -EQ Deleted).Key | Should -Be 'piped/new.csv'
        ($rollback.Run | Where-Object Action -EQ Skipped).Key | Should -Be 'piped/b.csv'
        $rollback.Run | Where-Object Action -In Copied, Deleted | ForEach-Object { $_.SourceVersionId | Should -Not -BeNullOrEmpty -Because "$($_.Key) was $($_.Action) on a versioned source" }
        $rollback.After.Content | Should -Not -Be $rollback.Before.Content
    }

    It 'changes nothing with -WhatIf, and says what each key would hold' {
        $preview = $rollback.Run | Undo-S3BackupRestore -WhatIf
        Get-VersionState $source 'piped/' | Should -Be $rollback.After.Versions
        @($preview).Count | Should -Be 4
        $preview.Action | Sort-Object -Unique | Should -Be 'WouldUndo'
        $a = $preview | Where-Object Key -EQ 'piped/a.csv'
        $a.SourceVersionId | Should -Be ($rollback.Run | Where-Object Key -EQ 'piped/a.csv').SourceVersionId
        $rollback.Before.Versions | Should -Match ([regex]::Escape("piped/a.csv@$($a.CurrentVersionId)"))
        ($preview | Where-Object Key -EQ 'piped/created.csv').CurrentVersionId | Should -BeNullOrEmpty
    }

    It 'undoes it: every key back at its previous version, created keys gone, removed keys back' {
        $results = $rollback.Run | Undo-S3BackupRestore -Confirm:$false -InformationVariable told -InformationAction SilentlyContinue
        Assert-Undone $rollback $results 'piped/'
        "$($told | Where-Object { $_.Tags -contains 'S3Replication.Summary' })" | Should -Match "^Undo of the restore in s3://${source}: 4 undone \(.*\), 1 skipped, 0 not undone in "
    }

    It 'a second undo of the same records changes nothing and says each was undone already, without an error for each' {
        $before = Get-VersionState $source 'piped/'
        $shown = $rollback.Run | Undo-S3BackupRestore -Confirm:$false -Verbose -ErrorAction SilentlyContinue -ErrorVariable refused -InformationVariable told -InformationAction SilentlyContinue 4>&1
        $again = $shown | Where-Object { $_ -isnot [Management.Automation.VerboseRecord] }
        Get-VersionState $source 'piped/' | Should -Be $before
        @($refused) | Should -BeNullOrEmpty -Because 'running the same undo again is how a stopped one is finished'
        @($shown | Where-Object { $_ -is [Management.Automation.VerboseRecord] -and $_.Message -match 'undone already' }).Count | Should -Be 4
        $again.Action | Sort-Object -Unique | Should -Be 'LeftAlone'
        $again.Reason | Sort-Object -Unique | Should -Be 'VersionGone'
        "$($told | Where-Object { $_.Tags -contains 'S3Replication.Summary' })" | Should -Match ': 0 undone, .* 4 not undone .*Not undone: 4 changed since the restore or undone already'
    }
}

Describe 'Undoing from a CSV of the records, with a key changed since the restore' {
    BeforeAll {
        $rollback = Invoke-Rollback 'csv/'
        $file = Join-Path $TestDrive 'rollback.csv'
        $rollback.Run | Export-Csv $file
        # Someone writes a.csv after the rollback: the undo must leave it alone.
        Set-Text $source 'csv/a.csv' 'written after the rollback'
        $results = Import-Csv $file | Undo-S3BackupRestore -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable refused
    }

    It 'leaves the changed key alone with a ChangedSinceRestore error that says what is current' {
        [Text.Encoding]::UTF8.GetString((Get-TestObjectBytes -Bucket $source -Key 'csv/a.csv')) | Should -Be 'written after the rollback'
        $errors = @($refused)
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'ChangedSinceRestore,*'
        $current = (Get-S3BackupObject -Bucket $source -Prefix 'csv/a.csv' -AllVersions | Where-Object IsLatest).VersionId
        $errors[0].Exception.Message | Should -BeLike "s3://$source/csv/a.csv was left alone: it changed since the restore. Current now is object version $current *"
        $errors[0].TargetObject.Key | Should -Be 'csv/a.csv'
        $left = $results | Where-Object Key -EQ 'csv/a.csv'
        ($left.Action, $left.Reason, $left.CurrentVersionId) | Should -Be @('LeftAlone', 'ChangedSinceRestore', $current)
    }

    It 'undoes every other key' {
        ($results | Where-Object Action -EQ Undone).Key | Sort-Object | Should -Be @('csv/c.csv', 'csv/created.csv', 'csv/new.csv')
        [Text.Encoding]::UTF8.GetString((Get-TestObjectBytes -Bucket $source -Key 'csv/new.csv')) | Should -Be 'written by the bad run'
        (Get-S3BackupObject -Bucket $source -Prefix 'csv/').Key | Sort-Object | Should -Be @('csv/a.csv', 'csv/b.csv', 'csv/new.csv')
        Get-S3BackupObject -Bucket $source -Prefix 'csv/created.csv' -AllVersions | Should -BeNullOrEmpty
    }
}

Describe 'Undoing from a Clixml of the records' {
    It 'undoes the rollback exactly' {
        $rollback = Invoke-Rollback 'clixml/'
        $file = Join-Path $TestDrive 'rollback.clixml'
        $rollback.Run | Export-Clixml $file
        $results = Import-Clixml $file | Undo-S3BackupRestore -Confirm:$false
        Assert-Undone $rollback $results 'clixml/'
    }
}

Describe 'Records of two restores of one key, and of two source buckets' {
    It 'undoes a copy and a later -Mirror removal of the same key newest first, whatever the order of the records' {
        $key = 'twice/b.csv'
        Set-Text $source $key 'b changed in the source only'
        $before = Get-VersionState $source $key
        $first = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -Prefix $key
        $first.Action | Should -Be 'Copied'
        $first.SourceVersionId | Should -Not -BeNullOrEmpty
        # The backup loses b (replicated from a deletion); a later rollback of the prefix with -Mirror removes it from the source too.
        Remove-TestObject -Bucket $backup -Key $key
        $second = Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -Prefix twice/ -Mirror
        ($second | Where-Object Key -EQ $key).Action | Should -Be 'Deleted'

        $results = @($first) + @($second) | Undo-S3BackupRestore -Confirm:$false

        ($results | Where-Object Key -EQ $key | ForEach-Object { "$($_.RestoreAction) $($_.Reason)" }) | Should -Be @('Deleted MarkerAdded', 'Copied Replaced')
        Get-VersionState $source $key | Should -Be $before
        [Text.Encoding]::UTF8.GetString((Get-TestObjectBytes -Bucket $source -Key $key)) | Should -Be 'b changed in the source only'
    }

    It 'asks once per source bucket under -WhatIf, and changes neither' {
        $other = New-TestName 'undo-other'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $other -Versioned
        Set-Text $source 'twice/a.csv' 'a changed in the source'
        $rows = @(Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $other -Prefix twice/) + @(Sync-S3BackupToSource -BackupBucket $backup -SourceBucket $source -Prefix twice/a)
        @($rows | Where-Object SourceBucket -EQ $other).Count | Should -BeGreaterThan 1
        $states = (Get-VersionState $other ''), (Get-VersionState $source '')
        $transcript = Join-Path $TestDrive 'whatif.txt'
        $null = Start-Transcript -Path $transcript
        try { $preview = $rows | Undo-S3BackupRestore -WhatIf } finally { $null = Stop-Transcript }
        (Get-VersionState $other ''), (Get-VersionState $source '') | Should -Be $states
        $asked = @(Select-String -Path $transcript -Pattern '^What if: ')
        $asked.Count | Should -Be 2
        ($asked.Line -join "`n") | Should -Match ([regex]::Escape("on target `"s3://$other`""))
        ($asked.Line -join "`n") | Should -Match ([regex]::Escape("on target `"s3://$source`""))
        ($asked.Line -join "`n") | Should -Match "remove the $(@($rows | Where-Object SourceBucket -EQ $other).Count) object version\(s\) the restore created"
        @($preview).Count | Should -Be @($rows).Count
    }
}
