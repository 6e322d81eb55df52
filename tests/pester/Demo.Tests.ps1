# build.ps1 Demo's script end to end on a server of its own (the runbook, then the bad day: forensics, rollback to T, undo),
# and build.ps1 Sandbox: a server that outlives build.ps1, is used through the line it prints, survives the stale-server
# cleanup of other runs and stops by recorded PIDs, which are signalled only while they still are its daemons.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $RepositoryRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $RepositoryRoot 'tests/demo/Sandbox.psm1') -Force

    # A fresh pwsh (what a user or CI runs), from the repository's folder, where the dotnet tool manifest names pwsh.
    function Invoke-FreshPwsh([string[]] $Arguments) {
        Push-Location $RepositoryRoot
        try {
            # Colours off: the checks read text.
            $lines = @(& dotnet pwsh -NoProfile -NonInteractive @Arguments 2>&1 | ForEach-Object { "$_" -replace '\e\[[0-9;]*m' })
            [pscustomobject]@{ Lines = $lines; Text = $lines -join "`n"; ExitCode = $LASTEXITCODE }
        }
        finally { Pop-Location }
    }

    function Invoke-BuildScript([string[]] $Arguments) { Invoke-FreshPwsh (@('-File', (Join-Path $RepositoryRoot 'build.ps1')) + $Arguments) }

    # Key, size and ETag of each object listed, one line each: what a reader of the prefix sees.
    function Format-Listing($Objects) { @($Objects | ForEach-Object { "$($_.Key) $($_.Size) $($_.ETag.Trim('"'))" }) }
}

Describe 'build.ps1 Demo: the runbook, then a bad processing run rolled back to T and the rollback undone' {
    BeforeAll {
        # A server of its own: the demo's bucket, user and role names are the runbook's, which other suites use too.
        $demoServer = Start-LocalS3 -NoDelay
        $work = Join-Path $TestDrive 'demo-work'
        $timer = [Diagnostics.Stopwatch]::StartNew()
        $demo = Invoke-FreshPwsh @('-File', (Join-Path $RepositoryRoot 'tests/demo/Invoke-Demo.ps1'), '-ModulePath', $ModulePath,
            '-ServerFile', (Join-Path $demoServer.Root 'server.json'), '-WorkFolder', $work)
        Write-Host "    the demo ran in $([Math]::Round($timer.Elapsed.TotalSeconds, 1)) s"
        $T = if ($demo.Text -match "PS> \`$T = '([^']+)'") { $Matches[1] }

        $null = Set-TestProfileFile -Folder (Join-Path $TestDrive 'aws') -Config "[profile demo-admin]`nendpoint_url = $($demoServer.Endpoint)`nrequest_checksum_calculation = when_required`nresponse_checksum_validation = when_required`n" `
            -Credentials "[demo-admin]`naws_access_key_id = $($demoServer.AccessKey)`naws_secret_access_key = $($demoServer.SecretKey)`n"
        $PSDefaultParameterValues['Get-S3BackupObject:ProfileName'] = 'demo-admin'
        function Import-Stage([string] $Stage) { Import-Csv (Join-Path $work "source-$Stage.csv") }
    }
    AfterAll { if ($demoServer) { Stop-LocalS3 $demoServer } }

    It 'exits 0 and shows the incident: T, forensics, the previewed rollback, the rollback, its check and the undo' {
        $demo.ExitCode | Should -Be 0 -Because ($demo.Lines | Select-Object -Last 15 | Out-String)
        $T | Should -Match '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$'
        $demo.Text | Should -Match 'the local server does not replicate'
        $demo.Text | Should -Match 'PS> Get-S3BackupObject -Bucket sds-data-dev-backup -AllVersions -ModifiedAfter \$T \|'
        $demo.Text | Should -Match '(?m)^\s+200 imap/tmp/'
        $demo.Text | Should -Match '(?m)^\s+15 imap/hit/l1a/2025/01/$' -Because 'the deletions show as the source''s delete markers'
        $demo.Text | Should -Match 'PS> Sync-S3BackupToSource .* -Prefix imap/ -AsOf \$T -Mirror -WhatIf'
        $demo.Text | Should -Match '(?m)^\s+40 WouldCopy, ETagDiffers$'
        $demo.Text | Should -Match '(?m)^\s+15 WouldCopy, MissingInSource$'
        $demo.Text | Should -Match '(?m)^\s+200 WouldDelete, MissingInBackup$'
        $demo.Text | Should -Match 'PS> Sync-S3BackupToSource .* -AsOf \$T -Mirror \| Export-Csv ./rollback.csv'
        $demo.Text | Should -Match 'PS> Compare-S3BackupBucket .* -AsOf \$T -IncludeEqual'
        $demo.Text | Should -Match '(?m)^\s+60 Equal$'
        $demo.Text | Should -Match 'PS> Import-Csv ./rollback.csv \| Undo-S3BackupRestore -WhatIf'
        $demo.Text | Should -Match 'PS> Import-Csv ./rollback.csv \| Undo-S3BackupRestore -Confirm:\$false'
        $demo.Text | Should -Match ': 255 undone .* 0 not undone'
        Test-Path (Join-Path $work 'rollback.csv') | Should -BeTrue
    }

    It 'left the source''s imap/ exactly the backup''s as of T after the rollback' {
        $backupAtT = Format-Listing (Get-S3BackupObject -Bucket sds-data-dev-backup -Prefix imap/ -AsOf $T)
        $backupAtT.Count | Should -Be 60
        Format-Listing (Import-Stage 'after-rollback') | Should -Be $backupAtT
        Format-Listing (Import-Stage 'before-rollback') | Should -Not -Be $backupAtT -Because 'the bad run changed the source'
    }

    It 'put the source back as it was before the rollback with the undo, version for version' {
        $before = @(Import-Stage 'before-rollback' | ForEach-Object { "$($_.Key) $($_.VersionId) $($_.ETag)" })
        $before.Count | Should -Be 245 -Because '40 overwritten, 200 scratch files and the untouched rest, the deleted folder absent'
        @(Import-Stage 'after-undo' | ForEach-Object { "$($_.Key) $($_.VersionId) $($_.ETag)" }) | Should -Be $before
        @(Get-S3BackupObject -Bucket sds-data-dev -Prefix imap/ | ForEach-Object { "$($_.Key) $($_.VersionId) $($_.ETag)" }) | Should -Be $before
    }
}

Describe 'build.ps1 Sandbox' {
    BeforeAll {
        # Its own folder: a sandbox the developer runs for this checkout (out/sandbox) is left alone.
        $sandboxFolder = Join-Path $TestDrive 'sandbox'
        $started = Invoke-BuildScript @('Sandbox', '-NoBuild', '-SandboxFolder', $sandboxFolder)
        $sandbox = Get-S3Sandbox -Folder $sandboxFolder | Select-Object -First 1
        $useLine = if ($started.Text -match '(?m)^Use it in a new pwsh: (.+)$') { $Matches[1] }
    }
    # Whatever a failed test left running; quiet, as it normally finds nothing.
    AfterAll { Stop-S3Sandbox -Folder $sandboxFolder 6>$null }

    It 'starts, outlives build.ps1, and ends with the line to paste and the command that stops it' {
        $started.ExitCode | Should -Be 0 -Because ($started.Lines | Select-Object -Last 15 | Out-String)
        $sandbox.Running | Should -BeTrue -Because 'build.ps1 has exited and the server must keep running'
        $config = Join-Path $sandboxFolder 'aws/config'
        $credentials = Join-Path $sandboxFolder 'aws/credentials'
        $started.Lines[-2] | Should -Be ("Use it in a new pwsh: `$env:AWS_CONFIG_FILE = '$config'; `$env:AWS_SHARED_CREDENTIALS_FILE = '$credentials'; " +
            "Import-Module '$ModulePath'; Connect-S3Backup -ProfileName backup-role")
        $started.Lines[-1] | Should -Be "Stop it: dotnet pwsh ./build.ps1 Sandbox -Stop -SandboxFolder '$sandboxFolder'"
        $profiles = Get-Content $config -Raw
        foreach ($name in 'imap', 'backup-role', 'source-admin') { $profiles | Should -Match "(?m)^\[profile $name\]$" }
        $profiles | Should -Match '(?m)^role_arn = arn:aws:iam:::role/BackupRole$'
        $profiles | Should -Match '(?m)^source_profile = imap$'
        $profiles | Should -Match "(?m)^endpoint_url = $([regex]::Escape($sandbox.Endpoint))$"
    }

    It 'writes keys to its credentials file only, never to the console' {
        $keys = @(Get-Content (Join-Path $sandboxFolder 'aws/credentials') | Where-Object { $_ -match '^aws_(access_key_id|secret_access_key) = ' } | ForEach-Object { ($_ -split ' = ', 2)[1] })
        $keys.Count | Should -Be 4
        foreach ($key in $keys) { $started.Text.Contains($key) | Should -BeFalse }
    }

    It 'is used through the printed line in a fresh pwsh: Connect-S3Backup with the backup role, then Get-S3BackupObject' {
        $useLine | Should -Not -BeNullOrEmpty
        $used = Invoke-FreshPwsh @('-Command', "$useLine; (Get-S3BackupSession).ProfileName; @(Get-S3BackupObject -Bucket sds-data-dev-backup -Prefix imap/).Count; @(Get-S3BackupObject -Bucket sds-data-dev-backup -AllVersions).Count")
        $used.ExitCode | Should -Be 0 -Because $used.Text
        $used.Lines[-3..-1] | Should -Be @('backup-role', '60', '68') -Because 'the backup holds 60 files, 8 of them with an older version'
    }

    It 'says where it runs when started again, and starts no second server' {
        $again = Invoke-BuildScript @('Sandbox', '-NoBuild', '-SandboxFolder', $sandboxFolder)
        $again.ExitCode | Should -Be 0 -Because $again.Text
        $again.Text | Should -Match ([regex]::Escape("A sandbox is already running for $sandboxFolder at $($sandbox.Endpoint) (its server's folder: $($sandbox.Server.Root))"))
        $again.Lines[-2] | Should -Be $started.Lines[-2]
        @(Get-S3Sandbox -Folder $sandboxFolder).Count | Should -Be 1
    }

    It 'survives the stale-server cleanup that starting an ordinary server runs' {
        $ordinary = Start-LocalS3
        Stop-LocalS3 $ordinary
        Test-LocalS3Running $sandbox.Server | Should -BeTrue
    }

    It 'stops with Sandbox -Stop: its daemons gone, its folder and profile files removed' {
        $daemons = @(Get-ChildItem $sandbox.Server.Root -Filter '*.daemon.pid' | ForEach-Object { [int](Get-Content $_.FullName) })
        $daemons.Count | Should -Be 3
        $stopped = Invoke-BuildScript @('Sandbox', '-Stop', '-SandboxFolder', $sandboxFolder)
        $stopped.ExitCode | Should -Be 0 -Because $stopped.Text
        $stopped.Text | Should -Match ([regex]::Escape("Stopped the sandbox at $($sandbox.Endpoint)."))
        foreach ($id in $daemons) { Test-LocalS3Daemon -ProcessId $id -Root $sandbox.Server.Root | Should -BeFalse -Because "daemon $id was stopped" }
        Test-Path $sandbox.Server.Root | Should -BeFalse
        Test-Path (Join-Path $sandboxFolder 'aws') | Should -BeFalse -Because 'its two profile files were all the folder held'
        Get-S3Sandbox -Folder $sandboxFolder | Should -BeNullOrEmpty
    }

    It 'Sandbox -Stop with no sandbox running removes nothing of the folder' {
        $mine = Join-Path $sandboxFolder 'aws/not-the-sandbox.txt'
        $null = New-Item -ItemType File -Force $mine
        $stopped = Invoke-BuildScript @('Sandbox', '-Stop', '-SandboxFolder', $sandboxFolder)
        $stopped.Text | Should -Match 'No sandbox is running'
        $mine | Should -Exist
    }
}

Describe 'Stopping a server by its recorded PIDs' {
    BeforeAll {
        # A server folder whose daemon PID file names a process that is not its daemon, as after the daemon exited and
        # its PID was given to another program.
        function New-ReusedPidFolder([string] $Root, [int] $ProcessId) {
            $null = New-Item -ItemType Directory -Force $Root
            Set-Content (Join-Path $Root 'ceph.conf') '[global]'
            Set-Content (Join-Path $Root 'mon.daemon.pid') $ProcessId
        }
    }
    BeforeEach { $bystander = Start-Process sleep 300 -PassThru }
    AfterEach { Stop-Process -Id $bystander.Id -ErrorAction Ignore }

    It 'Stop-LocalS3 leaves a recorded PID alone that is not that server''s daemon' {
        $root = Join-Path $TestDrive 'reused-pid'
        New-ReusedPidFolder $root $bystander.Id
        Stop-LocalS3 -Server ([pscustomobject]@{ Root = $root })
        Start-Sleep -Milliseconds 200
        $bystander.HasExited | Should -BeFalse
        Test-Path $root | Should -BeFalse -Because 'the folder of a server with no daemon left is removed'
    }

    It 'the stale-server cleanup leaves it alone too' {
        # A temp folder of its own (TMPDIR, which .NET's temp path follows), so only this fake stale server is seen.
        $temp = Join-Path $TestDrive 'tmp'
        $stale = Join-Path $temp 's3replication-rgw-reusedpid'
        New-ReusedPidFolder $stale $bystander.Id   # and no owner.pid: its owner is gone
        $previous = $env:TMPDIR
        $env:TMPDIR = $temp
        try { $cleanup = Invoke-FreshPwsh @('-Command', "Import-Module '$(Join-Path $RepositoryRoot 'tests/s3server/LocalS3.psm1')'; Stop-StaleLocalS3") }
        finally { $env:TMPDIR = $previous }
        $cleanup.ExitCode | Should -Be 0 -Because $cleanup.Text
        Test-Path $stale | Should -BeFalse -Because 'the cleanup did look at it'
        $bystander.HasExited | Should -BeFalse
    }
}
