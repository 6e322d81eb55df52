BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')

    $operator = New-LocalS3User -Server $Server -Name (New-TestName 'ops')
    $bucket = New-TestName 'sds-data-dev'
    $versioned = New-TestName 'sds-data-dev-backup'

    # One role per permission set, each assumable by the operator through its own profile.
    $roles = [ordered]@{
        full     = @('s3:*')
        readonly = @('s3:ListBucket', 's3:GetObject', 's3:GetBucketVersioning', 's3:GetReplicationConfiguration', 's3:GetBucketLocation')
        listonly = @('s3:ListBucket', 's3:GetBucketLocation')
        nodelete = @('s3:ListBucket', 's3:GetObject', 's3:PutObject', 's3:GetBucketLocation')
        noundo   = @('s3:ListBucket', 's3:ListBucketVersions', 's3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:GetBucketLocation')
    }
    $local = Get-LocalProfileSetting
    $config = "[profile admin]`n$local`n[profile imap]`n$local`n"
    foreach ($name in $roles.Keys) {
        $role = New-LocalS3Role -Server $Server -Name (New-TestName "Backup-$name") -TrustedPrincipal $operator.Arn -AllowedAction $roles[$name]
        $config += "[profile $name]`nrole_arn = $($role.Arn)`nsource_profile = imap`n$local`n"
    }
    $untrusting = New-LocalS3Role -Server $Server -Name (New-TestName 'Untrusting') -TrustedService 's3.amazonaws.com'
    $config += "[profile untrusted]`nrole_arn = $($untrusting.Arn)`nsource_profile = imap`n$local`n"
    $null = Set-TestProfileFile -Folder (Join-Path $TestDrive 'aws') `
        -Credentials "[admin]`naws_access_key_id = $($Server.AccessKey)`naws_secret_access_key = $($Server.SecretKey)`n[imap]`naws_access_key_id = $($operator.AccessKey)`naws_secret_access_key = $($operator.SecretKey)`n" `
        -Config $config
    # Fixtures use the AWS SDK, so they come after the profile files (the SDK reads AWS_CONFIG_FILE once).
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $bucket
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $versioned -Versioned
    Write-LocalS3Object -Server $Server -ModulePath $ModulePath -Bucket $bucket -Key 'imap/mag/first.cdf'
    Write-LocalS3Object -Server $Server -ModulePath $ModulePath -Bucket $versioned -Key 'imap/mag/first.cdf'

    function Get-Check([object[]] $Records, [string] $Check) { $Records | Where-Object Check -EQ $Check }
    function Get-ProbeVersion([string] $Bucket) {
        @(Get-S3BackupObject -Bucket $Bucket -Prefix 's3backup-access-probe/' -AllVersions -ProfileName admin)
    }
}

Describe 'A role allowed everything' {
    BeforeAll { $records = Test-S3BackupAccess -Bucket $bucket, $versioned -Probe List, Read, Write, Versioning, Replication -ProfileName full }

    It 'reports the assumed role as the identity' {
        $identity = Get-Check $records 'Identity'
        $identity.Outcome | Should -Be 'Allowed'
        $identity.Detail | Should -BeLike 'arn:aws:sts:::assumed-role/Backup-full-*'
    }

    It 'allows every check on both buckets' {
        foreach ($name in $bucket, $versioned) {
            $checks = $records | Where-Object Bucket -EQ $name
            ($checks.Check | Sort-Object) -join ',' | Should -Be 'Delete,List,Read,Region,Replication,Versioning,Write'
            $checks | Where-Object Outcome -NE 'Allowed' | ForEach-Object { "$($_.Check): $($_.Outcome) $($_.Hint)" } | Should -BeNullOrEmpty
        }
        (Get-Check ($records | Where-Object Bucket -EQ $bucket) 'Read').Detail | Should -Be 'read imap/mag/first.cdf'
        (Get-Check ($records | Where-Object Bucket -EQ $versioned) 'Versioning').Detail | Should -Be 'versioning Enabled'
        (Get-Check ($records | Where-Object Bucket -EQ $versioned) 'Delete').Action | Should -Be 's3:DeleteObjectVersion'
    }

    It 'leaves no probe object or version behind' {
        Get-ProbeVersion $bucket | Should -BeNullOrEmpty
        Get-ProbeVersion $versioned | Should -BeNullOrEmpty
    }

    It 'answers $true with -Quiet' {
        Test-S3BackupAccess -Bucket $bucket -Probe List, Read, Write -ProfileName full -Quiet | Should -BeExactly $true
    }

    It 'writes nothing with -WhatIf' {
        $whatIf = Test-S3BackupAccess -Bucket $bucket -Probe Write -ProfileName full -WhatIf
        Get-Check $whatIf 'Write' | Should -BeNullOrEmpty
        Get-ProbeVersion $bucket | Should -BeNullOrEmpty
    }
}

Describe 'A role missing permissions: each check names exactly the missing action' {
    # Ceph names no account for an assumed role, so the probe writes with the ACL a restore by it would send (-Acl Auto).
    It 'read-only: Write is denied with s3:PutObject and s3:PutObjectAcl on the bucket''s objects, and nothing is written' {
        $records = Test-S3BackupAccess -Bucket $bucket -Probe List, Read, Write, Versioning, Replication -ProfileName readonly
        $write = Get-Check $records 'Write'
        $write.Outcome | Should -Be 'Denied'
        $write.ErrorCode | Should -Be 'AccessDenied'
        $write.Action | Should -Be 's3:PutObject and s3:PutObjectAcl'
        $write.Hint | Should -BeLike "*s3:PutObject and s3:PutObjectAcl on arn:aws:s3:::$bucket/`**"
        Get-Check $records 'Delete' | Should -BeNullOrEmpty
        ($records | Where-Object { $_.Check -notin 'Write' -and $_.Outcome -ne 'Allowed' }) | Should -BeNullOrEmpty
        Get-ProbeVersion $bucket | Should -BeNullOrEmpty
    }

    It 'list-only: Read, Versioning and Replication are denied, each with its own action' {
        $records = Test-S3BackupAccess -Bucket $bucket -ProfileName listonly
        (Get-Check $records 'List').Outcome | Should -Be 'Allowed'
        (Get-Check $records 'Read').Hint | Should -BeLike "*s3:GetObject on arn:aws:s3:::$bucket/imap/mag/first.cdf*"
        (Get-Check $records 'Versioning').Hint | Should -BeLike "*s3:GetBucketVersioning on arn:aws:s3:::$bucket *"
        (Get-Check $records 'Replication').Hint | Should -BeLike "*s3:GetReplicationConfiguration on arn:aws:s3:::$bucket *"
        (Get-Check $records 'Versions').Hint | Should -BeLike "*s3:ListBucketVersions on arn:aws:s3:::$bucket *"
        ($records | Where-Object Outcome -EQ 'Denied').Check | Sort-Object | Should -Be @('Read', 'Replication', 'Versioning', 'Versions')
    }

    It 'read-only: passes List and Read but says a point-in-time restore needs s3:ListBucketVersions' {
        $records = Test-S3BackupAccess -Bucket $versioned -Probe List, Read, Versions -ProfileName readonly
        (Get-Check $records 'Read').Outcome | Should -Be 'Allowed'
        $versions = Get-Check $records 'Versions'
        $versions.Outcome | Should -Be 'Denied'
        $versions.Hint | Should -BeLike "*s3:ListBucketVersions on arn:aws:s3:::$versioned *"
        $allowed = Test-S3BackupAccess -Bucket $versioned -Probe Versions -ProfileName full
        (Get-Check $allowed 'Versions').Outcome | Should -Be 'Allowed'
        (Get-Check $allowed 'ReadVersion').Outcome | Should -Be 'Allowed'
        (Get-Check $allowed 'ReadVersion').Detail | Should -BeLike 'read imap/mag/first.cdf version *'
    }

    It 'list-only: -Quiet answers $false' {
        Test-S3BackupAccess -Bucket $bucket -ProfileName listonly -Quiet | Should -BeExactly $false
    }

    It 'no delete: the Delete check is denied and names the probe object that remains' {
        $records = Test-S3BackupAccess -Bucket $bucket -Probe Write -ProfileName nodelete
        (Get-Check $records 'Write').Outcome | Should -Be 'Allowed'
        $delete = Get-Check $records 'Delete'
        $delete.Outcome | Should -Be 'Denied'
        $delete.Hint | Should -BeLike '*s3:DeleteObject on *remains*'
        $left = Get-ProbeVersion $bucket
        $left.Count | Should -Be 1
        $delete.Hint | Should -BeLike "*s3://$bucket/$($left[0].Key)*"
        Remove-TestObject -Bucket $bucket -Key $left[0].Key
    }
}

Describe 'What the local server cannot tell' {
    It 'static keys: the Identity check says it was not verified instead of Allowed, and the zone group is not taken for a region' {
        $records = Test-S3BackupAccess -Bucket $bucket -Probe List -ProfileName admin
        $identity = Get-Check $records 'Identity'
        $identity.Outcome | Should -Be 'Skipped'
        $identity.Hint | Should -Match 'does not answer sts:GetCallerIdentity'
        (Get-Check $records 'Region').Detail | Should -Match "zone group 'default', not an AWS region; requests are signed for us-east-1"
        (Get-Check $records 'List').Outcome | Should -Be 'Allowed' -Because 'a Skipped identity check does not stop the bucket checks'
    }

    It 'an assumed role: Allowed, naming the role' {
        $identity = Get-Check (Test-S3BackupAccess -Bucket $bucket -Probe List -ProfileName full) 'Identity'
        $identity.Outcome | Should -Be 'Allowed'
        $identity.Detail | Should -Match '(assumed-role/Backup-full-|assumed arn:aws:iam:::role/Backup-full-)'
    }
}

Describe 'Credentials that do not work' {
    It 'reports only the identity, with a hint to trust the operator' {
        $records = @(Test-S3BackupAccess -Bucket $bucket -ProfileName untrusted)
        $records.Count | Should -Be 1
        $records[0].Check | Should -Be 'Identity'
        $records[0].Outcome | Should -Be 'Denied'
        $records[0].Hint | Should -BeLike '*Add-BackupRoleTrustPrincipal*'
        Test-S3BackupAccess -Bucket $bucket -ProfileName untrusted -Quiet | Should -BeExactly $false
    }

    It 'reports a bucket that does not exist as an Error with a hint' {
        $records = Test-S3BackupAccess -Bucket (New-TestName 'no-such-bucket') -ProfileName full
        (Get-Check $records 'List').ErrorCode | Should -Be 'NoSuchBucket'
        (Get-Check $records 'List').Hint | Should -BeLike '*does not exist*'
    }

    It 'refuses an invalid bucket name before any request, and goes on with the next bucket' {
        $records = Test-S3BackupAccess -Bucket 'Not_A_Bucket', $bucket -ProfileName full -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'InvalidBucketName,*'
        ($records | Where-Object Bucket -EQ $bucket).Count | Should -BeGreaterThan 3
    }
}

Describe 'Objects another identity writes into the bucket' {
    It 'stay readable by the bucket owner after a restore and an upload by the backup role' {
        $owned = New-TestName 'owned'
        $from = New-TestName 'owned-backup'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $owned
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $from
        'restored/a.cdf', 'restored/b.cdf' | Write-LocalS3Object -Server $Server -ModulePath $ModulePath -Bucket $from
        $files = Join-Path $TestDrive 'owner-upload'
        Write-RandomFile (Join-Path $files 'up.cdf') 100

        # The role writes; the owner (admin, who created the bucket) reads afterwards.
        (Sync-S3BackupToSource -BackupBucket $from -SourceBucket $owned -ProfileName full).Action | Sort-Object -Unique | Should -Be 'Copied'
        (Write-S3BackupObject -Path $files -Bucket $owned -Prefix uploaded -ProfileName full).Action | Should -Be 'Uploaded'
        foreach ($key in 'restored/a.cdf', 'restored/b.cdf', 'uploaded/up.cdf') {
            (Get-TestObject $owned $key).Size | Should -BeGreaterThan 0 -Because "the bucket owner reads $key"
        }
    }
}

Describe 'A profile that lacks one permission for every object' {
    BeforeAll {
        # -ErrorVariable holds error records, and for a terminating error the exception itself.
        function Get-ErrorMessage($Errors) { foreach ($shownError in $Errors) { $shownError.Exception.Message ?? $shownError.Message } }
        $denySource = New-TestName 'deny-source'
        $denyBackup = New-TestName 'deny-backup'
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $denySource
        New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $denyBackup
        $denyKeys = 1..12 | ForEach-Object { 'imap/mag/day{0:D2}.cdf' -f $_ }
        $denyKeys | Write-LocalS3Object -Server $Server -ModulePath $ModulePath -Bucket $denyBackup -Content ('x' * 14336)
    }

    It 'restoring without s3:PutObject (<Entrance>): stops after the first denials with one error that names the write, keeping size and reason' -ForEach @(
        @{ Entrance = 'bucket names' }, @{ Entrance = 'piped objects' }, @{ Entrance = 'piped compare results' }, @{ Entrance = 'Import-Csv rows' }
    ) {
        $results = [Collections.Generic.List[object]]::new()
        $stop = $null
        $shown = $null
        try {
            $restore = @{ SourceBucket = $denySource; ProfileName = 'readonly'; MaxConcurrency = 2; ErrorAction = 'SilentlyContinue'; ErrorVariable = 'shown' }
            $rows = switch ($Entrance) {
                'piped objects' { Get-S3BackupObject -Bucket $denyBackup -ProfileName admin }
                'piped compare results' { Compare-S3BackupBucket -SourceBucket $denySource -BackupBucket $denyBackup -ProfileName admin }
                'Import-Csv rows' {
                    Get-S3BackupObject -Bucket $denyBackup -ProfileName admin | Export-Csv (Join-Path $TestDrive 'denied.csv')
                    Import-Csv (Join-Path $TestDrive 'denied.csv')
                }
            }
            if ($Entrance -eq 'bucket names') { Sync-S3BackupToSource -BackupBucket $denyBackup @restore | ForEach-Object { $results.Add($_) } }
            else { $rows | Sync-S3BackupToSource @restore | ForEach-Object { $results.Add($_) } }
        }
        catch { $stop = $_ }
        # The one error, not one per object before it: the objects' own refusals are in the Failed rows.
        Get-ErrorMessage $shown | Where-Object { $_ -notmatch '^Stopped: ' } | Should -BeNullOrEmpty
        $stop.FullyQualifiedErrorId | Should -BeLike 'AccessDenied,*'
        $stop.Exception.Message | Should -Match "^Stopped: the first 5 objects .* needs s3:PutObject.* on arn:aws:s3:::$denySource/\*,"
        $stop.Exception.Message | Should -Not -Match 's3:GetObject'
        $failed = @($results | Where-Object Action -EQ Failed)
        $failed.Count | Should -BeGreaterOrEqual 5
        $failed.Count | Should -BeLessThan 12 -Because 'the rest were not tried'
        foreach ($row in $failed) {
            $row.Reason | Should -Be 'MissingInSource'
            $row.Size | Should -Be 14336
            $row.Error | Should -Match "needs s3:PutObject.* on arn:aws:s3:::$denySource/$([regex]::Escape($row.Key))"
        }
        @(Get-S3BackupObject -Bucket $denySource -ProfileName admin).Count | Should -Be 0
    }

    It 'a Batch restore of piped objects without s3:GetObject: the same one error, and no job from a partial manifest' {
        Import-Module (Join-Path $PSScriptRoot '../standins/StandIns.psm1') -Force
        $control = Start-S3ControlStandIn -S3Endpoint $Server.Endpoint -AccessKey $Server.AccessKey -SecretKey $Server.SecretKey -Folder (Join-Path $TestDrive 's3control')
        $env:AWS_ENDPOINT_URL_S3_CONTROL = $control.Endpoint
        try {
            $batchRole = New-LocalS3Role -Server $Server -Name (New-TestName 'BatchRestore') -TrustedService 'batchoperations.s3.amazonaws.com'
            $work = New-TestName 'deny-work'
            New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $work
            $stop = $null
            $shown = $null
            try {
                Get-S3BackupObject -Bucket $denyBackup -ProfileName admin |
                    Start-S3BackupBatchRestore -SourceBucket $denySource -ProfileName listonly -WorkBucket $work -RoleArn $batchRole.Arn -AccountId 111122223333 `
                        -MaxConcurrency 2 -ErrorAction SilentlyContinue -ErrorVariable shown -WarningAction SilentlyContinue | Out-Null
            }
            catch { $stop = $_ }
            $stop.Exception.Message | Should -Match "^Stopped: the first 5 objects .* needs s3:GetObject on arn:aws:s3:::$denyBackup/\*,"
            Get-ErrorMessage $shown | Where-Object { $_ -notmatch '^Stopped: ' } | Should -BeNullOrEmpty
            @(Get-S3BackupObject -Bucket $work -ProfileName admin) | Should -BeNullOrEmpty -Because 'no manifest is written'
            (Invoke-RestMethod "$($control.Endpoint)/_standin/requests" -NoProxy) | Where-Object method -EQ POST | Should -BeNullOrEmpty -Because 'no job is created'
        }
        finally {
            $control | Stop-StandIn
            Remove-Item env:AWS_ENDPOINT_URL_S3_CONTROL -ErrorAction Ignore
        }
    }

    It 'downloading without s3:GetObject: stops the same way, naming the read' {
        $results = [Collections.Generic.List[object]]::new()
        $stop = $null
        try {
            Save-S3BackupObject -Bucket $denyBackup -Destination (Join-Path $TestDrive 'denied') -ProfileName listonly -MaxConcurrency 2 -ErrorAction SilentlyContinue -ErrorVariable shown |
                ForEach-Object { $results.Add($_) }
        }
        catch { $stop = $_ }
        Get-ErrorMessage $shown | Where-Object { $_ -notmatch '^Stopped: ' } | Should -BeNullOrEmpty
        $stop.FullyQualifiedErrorId | Should -BeLike 'AccessDenied,*'
        $stop.Exception.Message | Should -Match "^Stopped: .* needs s3:GetObject on arn:aws:s3:::$denyBackup/\*,"
        @($results | Where-Object Action -EQ Failed).Count | Should -BeLessThan 12
        ($results | Where-Object Action -EQ Failed | Select-Object -First 1).Size | Should -Be 14336
    }
}

Describe 'The Undo probe: what Undo-S3BackupRestore needs of a source bucket' {
    It 'a role allowed everything: UndoCheck and Undo allowed on the versioned bucket and no probe left; Skipped on a bucket without versions' {
        $records = Test-S3BackupAccess -Bucket $versioned, $bucket -Probe Undo -ProfileName full -Confirm:$false
        $onVersioned = $records | Where-Object Bucket -EQ $versioned
        ($onVersioned | Where-Object Check -Like 'Undo*' | ForEach-Object { "$($_.Check) $($_.Outcome) $($_.Action)" }) |
            Should -Be @('UndoCheck Allowed s3:ListBucketVersions', 'Undo Allowed s3:DeleteObjectVersion')
        $onPlain = Get-Check ($records | Where-Object Bucket -EQ $bucket) 'Undo'
        $onPlain.Outcome | Should -Be 'Skipped'
        $onPlain.Hint | Should -Match 'keeps no versions'
        Get-ProbeVersion $versioned | Should -BeNullOrEmpty
        Get-ProbeVersion $bucket | Should -BeNullOrEmpty
        Test-S3BackupAccess -Bucket $versioned -Probe Undo -ProfileName full -WhatIf | Where-Object Check -Like 'Undo*' | Should -BeNullOrEmpty
    }

    It 'a role with s3:DeleteObject but not s3:DeleteObjectVersion: Undo is denied naming it, and the probe version it could not remove is named' {
        $undo = Get-Check (Test-S3BackupAccess -Bucket $versioned -Probe Undo -ProfileName noundo -Confirm:$false) 'Undo'
        $undo.Outcome | Should -Be 'Denied'
        $undo.Hint | Should -BeLike "*s3:DeleteObjectVersion on arn:aws:s3:::$versioned/`**remains*"
        $left = Get-ProbeVersion $versioned
        $left.Count | Should -Be 1
        $undo.Hint | Should -BeLike "*probe version $($left[0].VersionId) of s3://$versioned/$($left[0].Key) remains*"
        $client = New-LocalS3Client -Server $Server -ModulePath $ModulePath
        try { $null = $client.DeleteObjectAsync($versioned, $left[0].Key, $left[0].VersionId).GetAwaiter().GetResult() } finally { $client.Dispose() }
    }

    It 'undoing a restore without s3:DeleteObjectVersion: the error names the action and the object, and a role that has it undoes the restore' {
        $run = Sync-S3BackupToSource -BackupBucket $bucket -SourceBucket $versioned -Prefix imap/mag/ -CompareBy Always -ProfileName admin
        $copied = $run | Where-Object Action -EQ Copied
        $copied.SourceVersionId | Should -Not -BeNullOrEmpty
        $denied = $run | Undo-S3BackupRestore -ProfileName noundo -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable refused
        $denied.Action | Should -Be 'Failed'
        $refused[0].FullyQualifiedErrorId | Should -BeLike 'AccessDenied,*'
        $refused[0].Exception.Message | Should -BeLike "*s3:DeleteObjectVersion on arn:aws:s3:::$versioned/$($copied.Key)*"
        ($run | Undo-S3BackupRestore -ProfileName full -Confirm:$false).Action | Should -Be 'Undone'
        Get-S3BackupObject -Bucket $versioned -Prefix $copied.Key -AllVersions -ProfileName admin | Where-Object VersionId -EQ $copied.SourceVersionId | Should -BeNullOrEmpty
    }

    It 'a role that cannot write: the Undo probe says it could not be tried, and nothing is written' {
        $undo = @(Test-S3BackupAccess -Bucket $versioned -Probe Undo -ProfileName readonly -Confirm:$false | Where-Object Check -Like 'Undo*')
        $undo.Count | Should -Be 1
        ($undo[0].Outcome, $undo[0].Action) | Should -Be @('Skipped', 's3:DeleteObjectVersion')
        $undo[0].Hint | Should -BeLike "Could not be tried: *writing one was denied*s3:PutObject and s3:PutObjectAcl on arn:aws:s3:::$versioned/`**"
        Get-ProbeVersion $versioned | Should -BeNullOrEmpty
    }
}
