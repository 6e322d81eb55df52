#Requires -Version 7.4
<#
    Benchmarks S3Replication against its peers (aws CLI, rclone, and the server's own ceiling) on a freshly started
    local S3 server (Ceph RGW, stock frontend settings), peers interleaved with our runs, each run into a fresh
    bucket; writes bench/RESULTS.md. Run by: dotnet pwsh ./build.ps1 Bench
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ResultsPath,
    [int] $Runs = 3,
    [int] $ObjectCount = 2000
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$Root = Join-Path $PSScriptRoot '..'
# dotnet pwsh resolves through the repository's tool manifest, so run from the repository root.
Set-Location $Root
Import-Module (Join-Path $Root 'tests/s3server/LocalS3.psm1')
$manifest = Join-Path $ModulePath 'S3Replication.psd1'

function Write-Step([string] $Message) { Write-Host "==> $Message" -ForegroundColor Cyan }

function Install-Peer([string] $Package, [string] $Path) {
    if (Test-Path $Path) { return $Path }
    if ((id -u) -ne '0') { Write-Warning "$Package (Debian) is not installed and this is not root: its rows are skipped."; return $null }
    Write-Step "Installing the peer tool $Package from Debian packages"
    $env:DEBIAN_FRONTEND = 'noninteractive'
    & apt-get install -y -qq $Package *> $null
    if (Test-Path $Path) { $Path } else { Write-Warning "Installing $Package failed: its rows are skipped."; $null }
}

function Measure-Milliseconds([scriptblock] $Command) {
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $output = & $Command
    if ($LASTEXITCODE -ne 0) { throw "A benchmark command failed (exit code $LASTEXITCODE): $Command`n$output" }
    [pscustomobject]@{ Milliseconds = $watch.Elapsed.TotalMilliseconds; Output = $output }
}

# Points our module (profile "bench"), the aws CLI (also with 64 requests at once) and rclone (remote "s3r") at the
# server; returns the environment the aws CLI commands run with.
function Set-PeerProfile($Server) {
    $folder = Join-Path $Server.Root 'bench-aws'
    $null = New-Item -ItemType Directory -Force $folder
    [IO.File]::WriteAllText((Join-Path $folder 'credentials'), "[bench]`naws_access_key_id = $($Server.AccessKey)`naws_secret_access_key = $($Server.SecretKey)`n")
    [IO.File]::WriteAllText((Join-Path $folder 'config'), "[profile bench]`nendpoint_url = $($Server.Endpoint)`nrequest_checksum_calculation = when_required`nresponse_checksum_validation = when_required`n")
    [IO.File]::WriteAllText((Join-Path $folder 'aws-cli-64'), "[default]`ns3 =`n  max_concurrent_requests = 64`n  max_queue_size = 10000`n")
    $env:AWS_CONFIG_FILE = Join-Path $folder 'config'
    $env:AWS_SHARED_CREDENTIALS_FILE = Join-Path $folder 'credentials'
    $env:AWS_CONFIG_FILE_FOR_CLI64 = Join-Path $folder 'aws-cli-64'
    $env:RCLONE_CONFIG_S3R_TYPE = 's3'; $env:RCLONE_CONFIG_S3R_PROVIDER = 'Ceph'; $env:RCLONE_CONFIG_S3R_ENDPOINT = $Server.Endpoint
    $env:RCLONE_CONFIG_S3R_ACCESS_KEY_ID = $Server.AccessKey; $env:RCLONE_CONFIG_S3R_SECRET_ACCESS_KEY = $Server.SecretKey
    $env:RCLONE_CONFIG_S3R_FORCE_PATH_STYLE = 'true'; $env:RCLONE_CONFIG_S3R_REGION = 'us-east-1'
    @{ AWS_ACCESS_KEY_ID = $Server.AccessKey; AWS_SECRET_ACCESS_KEY = $Server.SecretKey; AWS_DEFAULT_REGION = 'us-east-1' }
}

$results = [System.Collections.Generic.List[object]]::new()
function Add-Row([string] $Scenario, [string] $Tool, [double[]] $Milliseconds, [string] $Note = '') {
    $sorted = @($Milliseconds | Sort-Object)
    $results.Add([pscustomobject]@{
        Scenario = $Scenario; Tool = $Tool; Runs = $sorted.Count; Note = $Note
        MedianMs = [Math]::Round($sorted[[int][Math]::Floor(($sorted.Count - 1) / 2)], 0)
        MinMs = [Math]::Round($sorted[0], 0); MaxMs = [Math]::Round($sorted[-1], 0)
    })
}
function Get-Median([string] $Scenario, [string] $Tool) { ($results | Where-Object { $_.Scenario -eq $Scenario -and $_.Tool -eq $Tool }).MedianMs }

$aws = Install-Peer awscli /usr/bin/aws
$rclone = Install-Peer rclone /usr/bin/rclone
Write-Step 'Building the benchmark helper (ceiling loop, planner memory)'
& dotnet build (Join-Path $Root 'bench/S3Replication.Bench') -c Release -o (Join-Path $Root 'out/bench') --nologo -v quiet | Out-Host
if ($LASTEXITCODE -ne 0) { throw 'Building bench/S3Replication.Bench failed.' }
$helper = Join-Path $Root 'out/bench/S3Replication.Bench.dll'

# --- Import time and the whole-process credential check ---------------------------------------------------------
Write-Step 'Import time'
# Process start-up on this shared machine varies by a few hundred ms, so more runs than the restores get.
$importRuns = 21
$baseline = @(); $import = @()
for ($run = 0; $run -lt $importRuns; $run++) {
    $baseline += (Measure-Milliseconds { dotnet pwsh -NoProfile -NonInteractive -Command 'exit' }).Milliseconds
    $import += (Measure-Milliseconds { dotnet pwsh -NoProfile -NonInteractive -Command "Import-Module '$manifest'" }).Milliseconds
}
Add-Row 'cold start, nothing loaded' 'pwsh -c exit (baseline)' $baseline
Add-Row 'cold start + Import-Module' 'S3Replication' $import

# --- The 2,000-object restore -------------------------------------------------------------------------------------
Write-Step "Starting a fresh local S3 server (stock frontend) for the $ObjectCount-object restore"
$server = Start-LocalS3 -MemoryBytes 8GB
try {
    $aws_env = Set-PeerProfile $server

    $fresh = 0
    # Plain (unversioned) destinations, as in the issue's reference measurements; versioned ones cost the server
    # about 1.5-2x per copy here, for every tool alike.
    function New-Destination { $script:fresh++; $name = "dst-$script:fresh"; New-LocalS3Bucket -Server $server -ModulePath $ModulePath -Name $name; $name }
    function Invoke-Aws([string[]] $Arguments, [switch] $Concurrent) {
        $saved = @{}; foreach ($entry in $aws_env.GetEnumerator()) { $saved[$entry.Key] = [Environment]::GetEnvironmentVariable($entry.Key); [Environment]::SetEnvironmentVariable($entry.Key, $entry.Value) }
        $savedConfig = $env:AWS_CONFIG_FILE; $savedCa = $env:AWS_CA_BUNDLE
        $env:AWS_CONFIG_FILE = if ($Concurrent) { $env:AWS_CONFIG_FILE_FOR_CLI64 } else { '/nonexistent' }; $env:AWS_CA_BUNDLE = $null
        try { & $aws @Arguments --endpoint-url $server.Endpoint --no-progress --only-show-errors }
        finally {
            foreach ($entry in $saved.GetEnumerator()) { [Environment]::SetEnvironmentVariable($entry.Key, $entry.Value) }
            $env:AWS_CONFIG_FILE = $savedConfig; $env:AWS_CA_BUNDLE = $savedCa
        }
    }
    function Invoke-Rclone([string[]] $Arguments) {
        $savedCa = $env:AWS_CA_BUNDLE; $env:AWS_CA_BUNDLE = $null   # rclone 1.60 refuses to start with it set
        try { & $rclone -q @Arguments } finally { $env:AWS_CA_BUNDLE = $savedCa }
    }
    # Runs a restore in a fresh pwsh: whole-process time from outside (cold: import, connect, JIT and all), and the
    # restore's own time from inside a session that has already worked (a restore of a few objects into a scratch
    # bucket first, as in any session that is not brand new; the raw ceiling loop runs warmed up too).
    function Invoke-OurSync([string] $Destination, [string] $Extra = '') {
        $scratch = New-Destination
        $script = "Import-Module '$manifest'; Connect-S3Backup -ProfileName bench -Bucket backup; " +
            "`$null = Sync-S3BackupToSource -BackupBucket backup -SourceBucket $scratch -Include '*_00000?_v001.cdf'; `$w = [Diagnostics.Stopwatch]::StartNew(); " +
            "`$r = Sync-S3BackupToSource -BackupBucket backup -SourceBucket $Destination $Extra; [int]`$w.Elapsed.TotalMilliseconds; @(`$r | Where-Object Action -eq Copied).Count"
        $measured = Measure-Milliseconds { dotnet pwsh -NoProfile -NonInteractive -Command $script }
        [pscustomobject]@{ WholeProcessMs = $measured.Milliseconds; InSessionMs = [double]$measured.Output[0]; Copied = [int]$measured.Output[1] }
    }

    New-LocalS3Bucket -Server $server -ModulePath $ModulePath -Name backup -Versioned
    Write-Step "Writing $ObjectCount x 1 KiB objects to the backup bucket"
    $content = 'x' * 1024
    1..$ObjectCount | ForEach-Object { 'imap/mag/l1a/{0:D4}/{1:D2}/imap_mag_l1a_norm-mago_{2:D6}_v001.cdf' -f (2025 + $_ % 3), ($_ % 12 + 1), $_ } |
        Write-LocalS3Object -Server $server -ModulePath $ModulePath -Bucket backup -Content $content

    $t = @{ ceiling128 = @(); ceiling = @(); ours = @(); oursProcess = @(); aws = @(); aws64 = @(); rclone = @(); rclone64 = @() }
    $synced = @{}
    for ($run = 0; $run -lt $Runs; $run++) {
        Write-Step "Restore run $($run + 1) of $Runs (interleaved)"
        $t.ceiling += [double](Measure-Milliseconds { dotnet $helper ceiling $server.Endpoint $server.AccessKey $server.SecretKey backup (New-Destination) 64 }).Output
        $t.ceiling128 += [double](Measure-Milliseconds { dotnet $helper ceiling $server.Endpoint $server.AccessKey $server.SecretKey backup (New-Destination) 128 }).Output
        $destination = New-Destination
        $ours = Invoke-OurSync $destination
        if ($ours.Copied -ne $ObjectCount) { throw "S3Replication copied $($ours.Copied) of $ObjectCount objects." }
        $t.ours += $ours.InSessionMs; $t.oursProcess += $ours.WholeProcessMs; $synced.ours = $destination
        if ($aws) {
            $destination = New-Destination; $t.aws += (Measure-Milliseconds { Invoke-Aws @('s3', 'sync', 's3://backup', "s3://$destination") }).Milliseconds; $synced.aws = $destination
            $destination = New-Destination; $t.aws64 += (Measure-Milliseconds { Invoke-Aws @('s3', 'sync', 's3://backup', "s3://$destination") -Concurrent }).Milliseconds
        }
        if ($rclone) {
            $destination = New-Destination; $t.rclone += (Measure-Milliseconds { Invoke-Rclone @('sync', 's3r:backup', "s3r:$destination") }).Milliseconds; $synced.rclone = $destination
            $destination = New-Destination; $t.rclone64 += (Measure-Milliseconds { Invoke-Rclone @('sync', 's3r:backup', "s3r:$destination", '--transfers', '64', '--checkers', '64') }).Milliseconds
        }
    }
    $scenario = "restore $ObjectCount x 1 KiB, server-side, into an empty bucket"
    Add-Row $scenario 'raw ceiling: HttpClient + SigV4 CopyObject loop, 64 in flight' $t.ceiling
    Add-Row $scenario 'raw ceiling: HttpClient + SigV4 CopyObject loop, 128 in flight' $t.ceiling128
    Add-Row $scenario 'S3Replication Sync-S3BackupToSource, in session (defaults: 128 at once)' $t.ours
    Add-Row $scenario 'S3Replication, whole process (pwsh -c import, connect, restore)' $t.oursProcess
    if ($aws) { Add-Row $scenario 'aws s3 sync (aws CLI 2.9.19, defaults)' $t.aws; Add-Row $scenario 'aws s3 sync, max_concurrent_requests = 64' $t.aws64 }
    if ($rclone) { Add-Row $scenario 'rclone sync (1.60, defaults)' $t.rclone; Add-Row $scenario 'rclone sync --transfers 64 --checkers 64' $t.rclone64 }

    Write-Step 'No-op re-sync'
    $noop = @{ ours = @(); aws = @(); rclone = @() }
    for ($run = 0; $run -lt $Runs; $run++) {
        $noop.ours += (Invoke-OurSync $synced.ours).InSessionMs
        if ($aws) { $noop.aws += (Measure-Milliseconds { Invoke-Aws @('s3', 'sync', 's3://backup', "s3://$($synced.aws)") }).Milliseconds }
        if ($rclone) { $noop.rclone += (Measure-Milliseconds { Invoke-Rclone @('sync', 's3r:backup', "s3r:$($synced.rclone)", '--checksum') }).Milliseconds }
    }
    $scenario = "no-op re-sync of the same $ObjectCount"
    Add-Row $scenario 'S3Replication, in session' $noop.ours
    if ($aws) { Add-Row $scenario 'aws s3 sync (defaults)' $noop.aws }
    if ($rclone) { Add-Row $scenario 'rclone sync --checksum' $noop.rclone }

    Write-Step 'Same-size change: 50 objects overwritten in each destination, then each tool restores'
    $changed = 'y' * 1024   # same size as the backup's 'x' * 1024, different content
    $victims = 1..50 | ForEach-Object { 'imap/mag/l1a/{0:D4}/{1:D2}/imap_mag_l1a_norm-mago_{2:D6}_v001.cdf' -f (2025 + $_ % 3), ($_ % 12 + 1), $_ }
    $fixed = [ordered]@{}
    foreach ($tool in $synced.Keys) {
        $victims | Write-LocalS3Object -Server $server -ModulePath $ModulePath -Bucket $synced[$tool] -Content $changed
        switch ($tool) {
            'ours' { $null = Invoke-OurSync $synced.ours }
            'aws' { $null = Invoke-Aws @('s3', 'sync', 's3://backup', "s3://$($synced.aws)") }
            'rclone' { $null = Invoke-Rclone @('sync', 's3r:backup', "s3r:$($synced.rclone)", '--checksum') }
        }
        $client = New-LocalS3Client -Server $server -ModulePath $ModulePath
        try {
            $fixed[$tool] = @($victims | Where-Object {
                $a = $client.GetObjectMetadataAsync('backup', $_).GetAwaiter().GetResult().ETag
                $b = $client.GetObjectMetadataAsync($synced[$tool], $_).GetAwaiter().GetResult().ETag
                $a -eq $b }).Count
        }
        finally { $client.Dispose() }
    }
}
finally {
    Stop-LocalS3 $server
}

# --- One 1 GiB object, on a restarted server (memstore never gives memory back) --------------------------------------
Write-Step 'Starting a fresh local S3 server for the 1 GiB object'
$server = Start-LocalS3 -MemoryBytes 10GB
try {
    $aws_env = Set-PeerProfile $server
    New-LocalS3Bucket -Server $server -ModulePath $ModulePath -Name backup -Versioned
    $client = New-LocalS3Client -Server $server -ModulePath $ModulePath
    try {
        $file = Join-Path $server.Root 'one-gib.bin'
        $stream = [IO.File]::Create($file); $block = [Security.Cryptography.RandomNumberGenerator]::GetBytes(1MB)
        for ($i = 0; $i -lt 1024; $i++) { $stream.Write($block, 0, $block.Length) }
        $stream.Dispose()
        $upload = [Amazon.S3.Transfer.TransferUtility]::new($client)
        $upload.UploadAsync($file, 'backup', 'imap/big/one-gib.bin').GetAwaiter().GetResult()
        Remove-Item $file
    }
    finally { $client.Dispose() }
    $big = @{ ours = @(); aws = @(); rclone = @() }
    $fresh = 100
    for ($run = 0; $run -lt $Runs; $run++) {
        Write-Step "1 GiB run $($run + 1) of $Runs"
        $big.ours += (Invoke-OurSync (New-Destination)).InSessionMs
        if ($aws) { $destination = New-Destination; $big.aws += (Measure-Milliseconds { Invoke-Aws @('s3', 'sync', 's3://backup', "s3://$destination") }).Milliseconds }
        if ($rclone) { $destination = New-Destination; $big.rclone += (Measure-Milliseconds { Invoke-Rclone @('sync', 's3r:backup', "s3r:$destination") }).Milliseconds }
    }
    $scenario = 'restore one 1 GiB object, server-side'
    Add-Row $scenario 'S3Replication, in session (one CopyObject below the 5 GiB threshold)' $big.ours
    if ($aws) { Add-Row $scenario 'aws s3 sync (defaults: multipart copy above 8 MiB)' $big.aws }
    if ($rclone) { Add-Row $scenario 'rclone sync (defaults)' $big.rclone }
}
finally {
    Stop-LocalS3 $server
}

Write-Step 'Planning a 1,000,000-key compare from a synthetic listing'
$plan = dotnet $helper plan-memory 1000000
$planFields = @{}; foreach ($pair in $plan -split ' ') { $name, $value = $pair -split '='; $planFields[$name] = $value }

# --- Report ----------------------------------------------------------------------------------------------------------
$restoreScenario = "restore $ObjectCount x 1 KiB, server-side, into an empty bucket"
# The ceiling is the faster of the two raw loops, so the ratio is not flattered by a slow loop.
$ceiling = @((Get-Median $restoreScenario 'raw ceiling: HttpClient + SigV4 CopyObject loop, 64 in flight'), (Get-Median $restoreScenario 'raw ceiling: HttpClient + SigV4 CopyObject loop, 128 in flight')) | Measure-Object -Minimum | ForEach-Object Minimum
$oursInSession = Get-Median $restoreScenario 'S3Replication Sync-S3BackupToSource, in session (defaults: 128 at once)'
$oursProcess = Get-Median $restoreScenario 'S3Replication, whole process (pwsh -c import, connect, restore)'
$awsDefault = Get-Median $restoreScenario 'aws s3 sync (aws CLI 2.9.19, defaults)'
$rcloneBest = @((Get-Median $restoreScenario 'rclone sync (1.60, defaults)'), (Get-Median $restoreScenario 'rclone sync --transfers 64 --checkers 64')) | Where-Object { $_ } | Measure-Object -Minimum
function Ratio($a, $b) { if ($a -and $b) { '{0:N2}' -f ($a / $b) } else { 'n/a' } }
$importOverhead = (Get-Median 'cold start + Import-Module' 'S3Replication') - (Get-Median 'cold start, nothing loaded' 'pwsh -c exit (baseline)')

$lines = @(
    '# Benchmark results'
    ''
    "Run by ``build.ps1 Bench`` on $(Get-Date -Format 'yyyy-MM-dd HH:mm') UTC: $([Environment]::ProcessorCount) cores, " +
        "$([Math]::Round((Get-Content /proc/meminfo -First 1).Split(' ', [StringSplitOptions]::RemoveEmptyEntries)[1] / 1MB)) GiB, PowerShell $($PSVersionTable.PSVersion)."
    'Local Ceph RGW 16.2 (Debian) with the **stock beast frontend** (no tcp_nodelay), freshly started; server and clients share the 2 cores. The backup bucket is versioned; restores go into fresh plain buckets (as in the reference figures: a versioned destination costs this server about 1.5–2× per copy, for every tool).'
    "Each row: median and min–max of $Runs runs (import rows: $importRuns), tools interleaved run by run, every restore into a fresh empty bucket. Times in ms."
    '"In session" is the restore alone, in a pwsh that has imported the module, connected and done a small restore before (JIT warm); "whole process" is a cold pwsh doing all of it; the raw ceiling times its copy loop alone.'
    'pwsh is started as `dotnet pwsh` (the tool manifest), as the README has users run it.'
    ''
    '| scenario | tool | median | min–max |'
    '|---|---|---:|---:|'
    ($results | ForEach-Object { "| $($_.Scenario) | $($_.Tool) | $($_.MedianMs) | $($_.MinMs)–$($_.MaxMs) |" })
    ''
    '## Against the targets'
    ''
    "- ${ObjectCount}-object restore in session: **$(Ratio $ceiling $oursInSession)** of the raw ceiling's speed (the faster raw loop, $ceiling ms; target ≥ 0.90); " +
        "**$(Ratio $awsDefault $oursInSession)×** faster than ``aws s3 sync`` defaults (target ≥ 4); best rclone setting $(if ($rcloneBest.Count) { $rcloneBest.Minimum } else { 'n/a' }) ms vs ours $oursInSession ms."
    "- Whole process (import, connect, restore): **$(Ratio $awsDefault $oursProcess)×** faster than ``aws s3 sync`` defaults (target ≥ 3)."
    "- No-op re-sync in session: **$(Ratio (Get-Median "no-op re-sync of the same $ObjectCount" 'aws s3 sync (defaults)') (Get-Median "no-op re-sync of the same $ObjectCount" 'S3Replication, in session'))×** faster than ``aws s3 sync`` (target ≥ 3); rclone --checksum $(Get-Median "no-op re-sync of the same $ObjectCount" 'rclone sync --checksum') ms vs ours $(Get-Median "no-op re-sync of the same $ObjectCount" 'S3Replication, in session') ms."
    "- 50 objects changed in the destination with the same size, then restored: " + (($fixed.GetEnumerator() | ForEach-Object { "$($_.Key) put back $($_.Value) of 50" }) -join '; ') + '.'
    "- 1 GiB object: ours $(Get-Median 'restore one 1 GiB object, server-side' 'S3Replication, in session (one CopyObject below the 5 GiB threshold)') ms; aws $(Get-Median 'restore one 1 GiB object, server-side' 'aws s3 sync (defaults: multipart copy above 8 MiB)') ms; rclone $(Get-Median 'restore one 1 GiB object, server-side' 'rclone sync (defaults)') ms."
    "- Planning a compare of $($planFields['keys']) keys (synthetic listings, in process): $($planFields['seconds']) s, peak managed-heap growth **$($planFields['peakManagedGrowthMB']) MB**, peak working-set growth $($planFields['peakWorkingSetGrowthMB']) MB (target < 100 MB)."
    "- Import-Module overhead above the bare pwsh baseline (medians): **$importOverhead ms** (target < 300 ms)."
)
$lines | Set-Content $ResultsPath
$results | Format-Table Scenario, Tool, MedianMs, MinMs, MaxMs -AutoSize | Out-Host
Write-Host "Results written to $ResultsPath"
