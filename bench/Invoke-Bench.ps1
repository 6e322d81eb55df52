#Requires -Version 7.4
<#
    Benchmarks S3Replication against its peers (aws CLI, rclone, and the server's own ceiling) on a freshly started
    local S3 server (Ceph RGW, stock frontend settings), peers interleaved with our runs, each run into a fresh
    bucket; writes bench/RESULTS.md. Run by: dotnet pwsh ./build.ps1 Bench
    -Only Restore measures the module's own restore and no-op re-sync alone (no import timing, raw ceiling, peers,
    same-size change, throttling, 1 GiB object or planning): a quick check on this shared machine, not a RESULTS.md to keep.
    -Only Planning measures the "Planning at scale" section alone (bench/PlanningBench.psm1: a compare of 2 x 500,000 keys
    on the listing stand-in at 100 ms a request, ours against aws s3 sync --dryrun and rclone check, and from S3 Inventory
    files) and replaces that section of -ResultsPath, leaving the rest of the file as it was.
    -Only Verify measures the "Verifying the backup" section alone (bench/VerifyBench.psm1: the replication status of the
    newest of -VerifyObjects source objects by Test-S3BackupReplication and by aws s3api; one changed backup object among
    200 x 1 MiB found by Compare-S3BackupBucket -CompareBy ComputedChecksum, rclone check --download and aws s3 sync
    --dryrun, with the bytes each client downloaded) and replaces that section of -ResultsPath in the same way.
    -BaselineModulePath (another build of the module, e.g. an earlier revision from build.ps1 Bench -Baseline <rev>) adds
    that build's in-session restore and no-op re-sync, measured in the same runs as ours, alternately: baseline, ours.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ResultsPath,
    [ValidateRange(1, 1000)] [int] $Runs = 3,
    # At least 50: the same-size change overwrites objects 1-50, and the warm-up restores objects 1-9.
    [ValidateRange(50, 1000000)] [int] $ObjectCount = 2000,
    [int] $ThrottleRate = 200,
    [ValidateSet('Restore', 'Planning', 'Verify')] [string] $Only,
    # The planning section: keys per bucket, the stand-in's latency per request, and how long a peer may take.
    [ValidateRange(1000, 5000000)] [int] $PlanningKeys = 500000,
    [ValidateRange(0, 10000)] [double] $PlanningLatencyMs = 100,
    [ValidateRange(10, 7200)] [int] $PeerTimeoutSeconds = 900,
    # The verification section: objects in the replicated source bucket (the status of its 100 newest is read).
    [ValidateRange(200, 1000000)] [int] $VerifyObjects = 20000,
    # A published module folder of another build, measured beside ours; each run of either is its own pwsh, since a
    # binary module cannot be unloaded and two versions of it in one process would conflict.
    [string] $BaselineModulePath,
    # The baseline's name in the report (build.ps1 passes the short revision).
    [string] $BaselineRevision = 'baseline'
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# Everything is measured unless -Only names one part.
$full = -not $Only
$Root = Join-Path $PSScriptRoot '..'
# dotnet pwsh resolves through the repository's tool manifest, so run from the repository root.
Set-Location $Root
Import-Module (Join-Path $Root 'tests/s3server/LocalS3.psm1')
Import-Module (Join-Path $PSScriptRoot 'BenchFixture.psm1')
Import-Module (Join-Path $PSScriptRoot 'PlanningBench.psm1')
Import-Module (Join-Path $PSScriptRoot 'VerifyBench.psm1')
$manifest = Join-Path $ModulePath 'S3Replication.psd1'
$baselineManifest = $null
if ($BaselineModulePath) {
    $baselineManifest = Join-Path $BaselineModulePath 'S3Replication.psd1'
    if (-not (Test-Path $baselineManifest)) { throw "-BaselineModulePath: no module manifest at $baselineManifest." }
}
# The baseline's rows, as the restore table, the CPU table and the targets name them.
$baselineTool = "S3Replication at $BaselineRevision (baseline), in session"
$baselineCpuTool = "$baselineTool (the restore alone)"


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

# CPU time, in ms, that the local server's daemons (monitor, OSD, radosgw) have used so far.
function Get-ServerCpuMs($Server) {
    $total = 0
    foreach ($file in Get-ChildItem $Server.Root -Filter '*.daemon.pid') {
        $fields = (Get-Content "/proc/$([int](Get-Content $file.FullName))/stat" -Raw) -replace '^.*\) ', '' -split ' '
        $total += ([long]$fields[11] + [long]$fields[12]) * 10
    }
    $total
}

# Runs a tool as a child process: wall time, the child's CPU time and the server's CPU time over the run.
function Measure-Tool($Server, [scriptblock] $Command) {
    $childBefore = Get-ChildCpuMs; $serverBefore = Get-ServerCpuMs $Server
    $measured = Measure-Milliseconds $Command
    [pscustomobject]@{ Milliseconds = $measured.Milliseconds; Output = $measured.Output; ClientCpuMs = (Get-ChildCpuMs) - $childBefore; ServerCpuMs = (Get-ServerCpuMs $Server) - $serverBefore }
}

# Points our module (profile "bench"), the aws CLI (also with 64 requests at once) and rclone (remote "s3r") at the
# server; returns the environment the aws CLI commands run with.
function Set-PeerProfile($Server) {
    $folder = Join-Path $Server.Root 'bench-aws'
    Set-BenchProfile $Server $folder
    [IO.File]::WriteAllText((Join-Path $folder 'aws-cli-64'), "[default]`ns3 =`n  max_concurrent_requests = 64`n  max_queue_size = 10000`n")
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

# The file at $Path with the section that $Section's first line heads ("## Planning at scale", up to the next "## "
# heading) replaced by $Section, or $Section appended where it has none: a -Only Planning or -Only Verify run leaves the
# other sections as the last full run wrote them.
function Merge-ResultsSection([string] $Path, [string[]] $Section) {
    $existing = if (Test-Path $Path) { @(Get-Content $Path) } else { @('# Benchmark results', '') }
    $heading = $Section[0]
    $start = [Array]::IndexOf([string[]]$existing, $heading)
    if ($start -lt 0) { $merged = $existing + @('') + $Section }
    else {
        $end = $start + 1
        while ($end -lt $existing.Count -and -not ($existing[$end] -like '## *')) { $end++ }
        $merged = @($existing | Select-Object -First $start) + $Section + $(if ($end -lt $existing.Count) { @('') + $existing[$end..($existing.Count - 1)] })
    }
    $merged | Set-Content $Path
}

# With -Only, the peers are neither installed nor run (but for -Only Planning and Verify, whose peers are aws and rclone).
$aws = $null; $rclone = $null
if ($Only -in 'Planning', 'Verify') {
    $aws = Install-Peer awscli /usr/bin/aws
    $rclone = Install-Peer rclone /usr/bin/rclone
    $section = if ($Only -eq 'Planning') {
        Invoke-PlanningBench -ModulePath $ModulePath -Runs $Runs -Keys $PlanningKeys -LatencyMs $PlanningLatencyMs -PeerTimeoutSeconds $PeerTimeoutSeconds -Aws $aws -Rclone $rclone
    }
    else { Invoke-VerifyBench -ModulePath $ModulePath -Runs $Runs -SourceObjects $VerifyObjects -Aws $aws -Rclone $rclone }
    Merge-ResultsSection $ResultsPath $section
    $section | Out-Host
    Write-Host "The section $($section[0]) written to $ResultsPath"
    return
}
if ($full) {
    $aws = Install-Peer awscli /usr/bin/aws
    $rclone = Install-Peer rclone /usr/bin/rclone
    Write-Step 'Building the benchmark helper (ceiling loop, planner memory)'
    & dotnet build (Join-Path $Root 'bench/S3Replication.Bench') -c Release -o (Join-Path $Root 'out/bench') --nologo -v quiet | Out-Host
    if ($LASTEXITCODE -ne 0) { throw 'Building bench/S3Replication.Bench failed.' }
    $helper = Join-Path $Root 'out/bench/S3Replication.Bench.dll'

    # --- Import time and the whole-process credential check -----------------------------------------------------
    Write-Step 'Import time'
    # Process start-up on this shared machine varies by a few hundred ms, so more runs than the restores get.
    $importRuns = 21
    $bare = @(); $import = @()
    for ($run = 0; $run -lt $importRuns; $run++) {
        $bare += (Measure-Milliseconds { dotnet pwsh -NoProfile -NonInteractive -Command 'exit' }).Milliseconds
        $import += (Measure-Milliseconds { dotnet pwsh -NoProfile -NonInteractive -Command "Import-Module '$manifest'" }).Milliseconds
    }
    Add-Row 'cold start, nothing loaded' 'pwsh -c exit (baseline)' $bare
    Add-Row 'cold start + Import-Module' 'S3Replication' $import
}

# --- The 2,000-object restore -------------------------------------------------------------------------------------
Write-Step "Starting a fresh local S3 server (stock frontend) for the $ObjectCount-object restore"
$server = Start-LocalS3 -MemoryBytes 8GB
try {
    $aws_env = Set-PeerProfile $server

    $fresh = 0
    # Plain (unversioned) destinations, as in the issue's reference measurements; versioned ones (-Versioned, a scenario
    # of their own) cost the server about 1.5-2x per copy here, for every tool alike.
    function New-Destination([switch] $Versioned) {
        $script:fresh++; $name = "dst-$script:fresh"; New-LocalS3Bucket -Server $server -ModulePath $ModulePath -Name $name -Versioned:$Versioned; $name
    }
    function Invoke-Aws([string[]] $Arguments, [switch] $Concurrent, [string] $Endpoint = $server.Endpoint) {
        $saved = @{}; foreach ($entry in $aws_env.GetEnumerator()) { $saved[$entry.Key] = [Environment]::GetEnvironmentVariable($entry.Key); [Environment]::SetEnvironmentVariable($entry.Key, $entry.Value) }
        $savedConfig = $env:AWS_CONFIG_FILE; $savedCa = $env:AWS_CA_BUNDLE
        $env:AWS_CONFIG_FILE = if ($Concurrent) { $env:AWS_CONFIG_FILE_FOR_CLI64 } else { '/nonexistent' }; $env:AWS_CA_BUNDLE = $null
        try { & $aws @Arguments --endpoint-url $Endpoint --no-progress --only-show-errors }
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
    # -ModuleManifest picks the build (ours by default, or the baseline's); the fresh pwsh holds that one alone. The
    # restore's CPU is read as it returns, before its records are counted (a Where-Object over them costs as much again).
    function Invoke-OurSync([string] $Destination, [string] $Extra = '', [string] $ProfileName = 'bench', [string] $ModuleManifest = $manifest) {
        $scratch = New-Destination
        $script = "Import-Module '$ModuleManifest'; Connect-S3Backup -ProfileName $ProfileName -Bucket backup; " +
            "`$null = Sync-S3BackupToSource -BackupBucket backup -SourceBucket $scratch -Include '*_00000?_v001.cdf' -InformationAction SilentlyContinue -WarningAction SilentlyContinue; `$p = [Diagnostics.Process]::GetCurrentProcess(); `$c = `$p.TotalProcessorTime; `$w = [Diagnostics.Stopwatch]::StartNew(); " +
            "`$r = Sync-S3BackupToSource -BackupBucket backup -SourceBucket $Destination $Extra -InformationAction SilentlyContinue; `$w.Stop(); `$p.Refresh(); `$restoreCpu = `$p.TotalProcessorTime - `$c; " +
            "[int]`$w.Elapsed.TotalMilliseconds; @(`$r | Where-Object Action -eq Copied).Count; [int]`$restoreCpu.TotalMilliseconds"
        $measured = Measure-Tool $server { dotnet pwsh -NoProfile -NonInteractive -Command $script }
        [pscustomobject]@{
            WholeProcessMs = $measured.Milliseconds; InSessionMs = [double]$measured.Output[0]; Copied = [int]$measured.Output[1]
            InSessionCpuMs = [double]$measured.Output[2]; WholeProcessCpuMs = $measured.ClientCpuMs; ServerCpuMs = $measured.ServerCpuMs
        }
    }
    # The objects a restore left in a destination bucket, counted at the server itself.
    function Get-ObjectCount([string] $Bucket) {
        $client = New-LocalS3Client -Server $server -ModulePath $ModulePath
        try {
            $count = 0; $request = [Amazon.S3.Model.ListObjectsV2Request]@{ BucketName = $Bucket }
            do { $page = $client.ListObjectsV2Async($request).GetAwaiter().GetResult(); $count += @($page.S3Objects).Count; $request.ContinuationToken = $page.NextContinuationToken }
            while ($page.IsTruncated)
            $count
        }
        finally { $client.Dispose() }
    }

    Write-Step "Writing $ObjectCount x 1 KiB objects to the backup bucket"
    New-BenchBackup $server $ModulePath $ObjectCount

    $t = @{ ceiling128 = @(); ceiling = @(); baseline = @(); ours = @(); oursProcess = @(); aws = @(); aws64 = @(); rclone = @(); rclone64 = @()
        oursVersioned = @(); oursVersionedProcess = @(); baselineVersioned = @(); awsVersioned = @() }
    # Per tool: client CPU ms (the tool's own process time; ours: the restore alone, in session) and server CPU ms, per run.
    $cpu = [ordered]@{}
    function Add-Cpu([string] $Tool, [double] $ClientMs, [double] $ServerMs) {
        if (-not $cpu.Contains($Tool)) { $cpu[$Tool] = [pscustomobject]@{ Client = [System.Collections.Generic.List[double]]::new(); Server = [System.Collections.Generic.List[double]]::new() } }
        $cpu[$Tool].Client.Add($ClientMs / $ObjectCount); $cpu[$Tool].Server.Add($ServerMs / $ObjectCount)
    }
    function Invoke-Ceiling([int] $InFlight) {
        $run = Measure-Tool $server { dotnet $helper ceiling $server.Endpoint $server.AccessKey $server.SecretKey backup (New-Destination) $InFlight }
        $loopMs, $loopCpuMs = [double[]]("$($run.Output)" -split ' ')
        Add-Cpu "raw ceiling, $InFlight in flight (copy loop only)" $loopCpuMs $run.ServerCpuMs
        $loopMs
    }
    function Invoke-Peer([string] $Tool, [scriptblock] $Command) {
        $run = Measure-Tool $server $Command
        Add-Cpu $Tool $run.ClientCpuMs $run.ServerCpuMs
        $run.Milliseconds
    }
    $synced = @{}
    # The baseline's last destination, for its no-op re-sync; kept out of $synced, whose tools the same-size change runs.
    $baselineSynced = $null
    for ($run = 0; $run -lt $Runs; $run++) {
        Write-Step "Restore run $($run + 1) of $Runs (interleaved)"
        if ($full) {
            $t.ceiling += Invoke-Ceiling 64
            $t.ceiling128 += Invoke-Ceiling 128
        }
        # The baseline next to ours in every run, so both see the same server state and the same neighbours; first on even
        # runs and second on odd ones, so a drift within a run (a server warming up, a neighbour starting) cancels out.
        $baselineRun = $null
        $measureBaseline = {
            $baselineSynced = New-Destination
            $baselineRun = Invoke-OurSync $baselineSynced -ModuleManifest $baselineManifest
            if ($baselineRun.Copied -ne $ObjectCount) { throw "S3Replication at $BaselineRevision (baseline) copied $($baselineRun.Copied) of $ObjectCount objects." }
            $t.baseline += $baselineRun.InSessionMs
        }
        if ($baselineManifest -and $run % 2 -eq 0) { . $measureBaseline }
        $destination = New-Destination
        $ours = Invoke-OurSync $destination
        if ($baselineManifest -and $run % 2 -eq 1) { . $measureBaseline }
        if ($ours.Copied -ne $ObjectCount) { throw "S3Replication copied $($ours.Copied) of $ObjectCount objects." }
        $t.ours += $ours.InSessionMs; $t.oursProcess += $ours.WholeProcessMs; $synced.ours = $destination
        Add-Cpu 'S3Replication, in session (the restore alone)' $ours.InSessionCpuMs $ours.ServerCpuMs
        # Added after ours (though measured before), so the CPU table shows the two in-session rows together.
        if ($baselineRun) { Add-Cpu $baselineCpuTool $baselineRun.InSessionCpuMs $baselineRun.ServerCpuMs }
        Add-Cpu 'S3Replication, whole process' $ours.WholeProcessCpuMs $ours.ServerCpuMs
        if ($aws) {
            $destination = New-Destination; $t.aws += Invoke-Peer 'aws s3 sync (defaults; whole process)' { Invoke-Aws @('s3', 'sync', 's3://backup', "s3://$destination") }; $synced.aws = $destination
            $destination = New-Destination; $t.aws64 += Invoke-Peer 'aws s3 sync, 64 concurrent (whole process)' { Invoke-Aws @('s3', 'sync', 's3://backup', "s3://$destination") -Concurrent }
        }
        if ($rclone) {
            $destination = New-Destination; $t.rclone += Invoke-Peer 'rclone sync (defaults; whole process)' { Invoke-Rclone @('sync', 's3r:backup', "s3r:$destination") }; $synced.rclone = $destination
            $destination = New-Destination; $t.rclone64 += Invoke-Peer 'rclone sync 64/64 (whole process)' { Invoke-Rclone @('sync', 's3r:backup', "s3r:$destination", '--transfers', '64', '--checkers', '64') }
        }
        # Into versioned buckets, as a source bucket that replicates must be: here this server does not report the version a
        # copy created, so ours also reads each one back (an undo removes exactly those), one HEAD per object.
        if ($baselineManifest) {
            $versioned = Invoke-OurSync (New-Destination -Versioned) -ModuleManifest $baselineManifest
            if ($versioned.Copied -ne $ObjectCount) { throw "S3Replication at $BaselineRevision (baseline) copied $($versioned.Copied) of $ObjectCount objects into a versioned bucket." }
            $t.baselineVersioned += $versioned.InSessionMs
        }
        $versioned = Invoke-OurSync (New-Destination -Versioned)
        if ($versioned.Copied -ne $ObjectCount) { throw "S3Replication copied $($versioned.Copied) of $ObjectCount objects into a versioned bucket." }
        $t.oursVersioned += $versioned.InSessionMs; $t.oursVersionedProcess += $versioned.WholeProcessMs
        Add-Cpu 'S3Replication into a versioned bucket, in session (the restore alone)' $versioned.InSessionCpuMs $versioned.ServerCpuMs
        if ($aws) {
            $destination = New-Destination -Versioned
            $t.awsVersioned += Invoke-Peer 'aws s3 sync into a versioned bucket (defaults; whole process)' { Invoke-Aws @('s3', 'sync', 's3://backup', "s3://$destination") }
        }
    }
    $scenario = "restore $ObjectCount x 1 KiB, server-side, into an empty bucket"
    if ($full) {
        Add-Row $scenario 'raw ceiling: HttpClient + SigV4 CopyObject loop, 64 in flight' $t.ceiling
        Add-Row $scenario 'raw ceiling: HttpClient + SigV4 CopyObject loop, 128 in flight' $t.ceiling128
    }
    Add-Row $scenario 'S3Replication Sync-S3BackupToSource, in session (defaults: 128 at once)' $t.ours
    if ($baselineManifest) { Add-Row $scenario $baselineTool $t.baseline }
    Add-Row $scenario 'S3Replication, whole process (pwsh -c import, connect, restore)' $t.oursProcess
    if ($aws) { Add-Row $scenario 'aws s3 sync (aws CLI 2.9.19, defaults)' $t.aws; Add-Row $scenario 'aws s3 sync, max_concurrent_requests = 64' $t.aws64 }
    if ($rclone) { Add-Row $scenario 'rclone sync (1.60, defaults)' $t.rclone; Add-Row $scenario 'rclone sync --transfers 64 --checkers 64' $t.rclone64 }

    $scenario = "restore $ObjectCount x 1 KiB, server-side, into an empty versioned bucket"
    Add-Row $scenario 'S3Replication, in session (defaults)' $t.oursVersioned
    if ($baselineManifest) { Add-Row $scenario $baselineTool $t.baselineVersioned }
    Add-Row $scenario 'S3Replication, whole process' $t.oursVersionedProcess
    if ($aws) { Add-Row $scenario 'aws s3 sync (defaults)' $t.awsVersioned }

    Write-Step 'No-op re-sync'
    $noop = @{ baseline = @(); ours = @(); aws = @(); rclone = @() }
    for ($run = 0; $run -lt $Runs; $run++) {
        if ($baselineManifest) { $noop.baseline += (Invoke-OurSync $baselineSynced -ModuleManifest $baselineManifest).InSessionMs }
        $noop.ours += (Invoke-OurSync $synced.ours).InSessionMs
        if ($aws) { $noop.aws += (Measure-Milliseconds { Invoke-Aws @('s3', 'sync', 's3://backup', "s3://$($synced.aws)") }).Milliseconds }
        if ($rclone) { $noop.rclone += (Measure-Milliseconds { Invoke-Rclone @('sync', 's3r:backup', "s3r:$($synced.rclone)", '--checksum') }).Milliseconds }
    }
    $scenario = "no-op re-sync of the same $ObjectCount"
    Add-Row $scenario 'S3Replication, in session' $noop.ours
    if ($baselineManifest) { Add-Row $scenario $baselineTool $noop.baseline }
    if ($aws) { Add-Row $scenario 'aws s3 sync (defaults)' $noop.aws }
    if ($rclone) { Add-Row $scenario 'rclone sync --checksum' $noop.rclone }

    if ($full) {
        Write-Step 'Same-size change: 50 objects overwritten in each destination, then each tool restores'
        $changed = 'y' * 1024   # same size as the backup's 'x' * 1024, different content
        $victims = 1..50 | ForEach-Object { Get-BenchKey $_ }
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

        # --- S3's request-rate limit: a token-bucket proxy answering 503 SlowDown above the rate, 25 ms added -----
        Write-Step "Throttled: $ObjectCount objects through a proxy allowing $ThrottleRate requests/s (503 SlowDown above), +25 ms a request"
        $proxyOut = Join-Path $Root 'out/bench-proxy'
        & dotnet build (Join-Path $Root 'tests/S3Replication.FaultProxy') -c Release -o $proxyOut --nologo -v quiet | Out-Host
        if ($LASTEXITCODE -ne 0) { throw 'Building the throttling proxy failed.' }
        Add-Type -Path (Join-Path $proxyOut 'S3Replication.FaultProxy.dll')
        # Bursts of a tenth of a second's worth, as a token bucket would allow them.
        $proxy = [S3Replication.FaultProxy.FaultProxy]::StartRateLimited($server.Endpoint, $ThrottleRate, [Math]::Max(10, $ThrottleRate / 10), 25)
        try {
            Add-Content $env:AWS_CONFIG_FILE "[profile throttled]`nendpoint_url = $($proxy.Endpoint)`nrequest_checksum_calculation = when_required`nresponse_checksum_validation = when_required`n"
            Add-Content $env:AWS_SHARED_CREDENTIALS_FILE "[throttled]`naws_access_key_id = $($server.AccessKey)`naws_secret_access_key = $($server.SecretKey)`n"
            $env:RCLONE_CONFIG_S3T_TYPE = 's3'; $env:RCLONE_CONFIG_S3T_PROVIDER = 'Ceph'; $env:RCLONE_CONFIG_S3T_ENDPOINT = "$($proxy.Endpoint)"
            $env:RCLONE_CONFIG_S3T_ACCESS_KEY_ID = $server.AccessKey; $env:RCLONE_CONFIG_S3T_SECRET_ACCESS_KEY = $server.SecretKey
            $env:RCLONE_CONFIG_S3T_FORCE_PATH_STYLE = 'true'; $env:RCLONE_CONFIG_S3T_REGION = 'us-east-1'
            $throttled = [System.Collections.Generic.List[object]]::new()
            # A peer may give up on objects here and exit non-zero: that is a result to record, not a benchmark failure.
            function Measure-Throttled([string] $Tool, [scriptblock] $Run) {
                $destination = New-Destination
                $requests = $proxy.Requests; $refused = $proxy.Throttled
                $watch = [Diagnostics.Stopwatch]::StartNew()
                $ms = & $Run $destination
                if ($null -eq $ms) { $ms = $watch.Elapsed.TotalMilliseconds }
                $throttled.Add([pscustomobject]@{
                    Tool = $Tool; Ms = [double]$ms; Requests = $proxy.Requests - $requests; Refused = $proxy.Throttled - $refused; Restored = Get-ObjectCount $destination
                })
            }
            for ($run = 0; $run -lt $Runs; $run++) {
                Write-Step "Throttled run $($run + 1) of $Runs"
                Measure-Throttled 'S3Replication, in session (defaults: up to 128 at once, adaptive)' { param($d) (Invoke-OurSync $d -ProfileName throttled).InSessionMs }
                if ($aws) { Measure-Throttled 'aws s3 sync (defaults)' { param($d) $null = Invoke-Aws @('s3', 'sync', 's3://backup', "s3://$d") -Endpoint "$($proxy.Endpoint)" 2>&1 } }
                if ($rclone) { Measure-Throttled 'rclone sync --transfers 64 --checkers 64' { param($d) $null = Invoke-Rclone @('sync', 's3t:backup', "s3t:$d", '--transfers', '64', '--checkers', '64') 2>&1 } }
            }
        }
        finally { $proxy.Dispose() }
    }
}
finally {
    Stop-LocalS3 $server
}

if ($full) {
    # --- One 1 GiB object, on a restarted server (memstore never gives memory back) ----------------------------------
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

    # --- Planning at scale (issue 23): the listing stand-in, peers, S3 Inventory files ---------------------------------
    $planningSection = Invoke-PlanningBench -ModulePath $ModulePath -Runs $Runs -Keys $PlanningKeys -LatencyMs $PlanningLatencyMs -PeerTimeoutSeconds $PeerTimeoutSeconds -Aws $aws -Rclone $rclone

    # --- Verifying the backup (issue 26): replication status, and content by computed checksums, with peers ------------
    $verifySection = Invoke-VerifyBench -ModulePath $ModulePath -Runs $Runs -SourceObjects $VerifyObjects -Aws $aws -Rclone $rclone
}

# --- Report ----------------------------------------------------------------------------------------------------------
$restoreScenario = "restore $ObjectCount x 1 KiB, server-side, into an empty bucket"
$noopScenario = "no-op re-sync of the same $ObjectCount"
function Ratio($a, $b) { if ($a -and $b) { '{0:N2}' -f ($a / $b) } else { 'n/a' } }
function Get-MedianOf([double[]] $Values) { if (-not $Values) { return $null }; $sorted = @($Values | Sort-Object); $sorted[[int][Math]::Floor(($sorted.Count - 1) / 2)] }
$oursInSession = Get-Median $restoreScenario 'S3Replication Sync-S3BackupToSource, in session (defaults: 128 at once)'
$oursCpu = Get-MedianOf $cpu['S3Replication, in session (the restore alone)'].Client
$versionedScenario = "restore $ObjectCount x 1 KiB, server-side, into an empty versioned bucket"
function Format-CpuRange([string] $Tool) { $values = $cpu[$Tool].Client; '{0:N2}–{1:N2}' -f ($values | Measure-Object -Minimum).Minimum, ($values | Measure-Object -Maximum).Maximum }
if ($baselineManifest) {
    $baselineCpu = Get-MedianOf $cpu[$baselineCpuTool].Client
    $cpuRatio = $oursCpu / $baselineCpu
    # Run i of each was measured back to back, so the per-run ratios show how steady the comparison is on a shared machine.
    $oursRuns = $cpu['S3Replication, in session (the restore alone)'].Client; $baselineRuns = $cpu[$baselineCpuTool].Client
    $pairedRatios = (0..($oursRuns.Count - 1) | ForEach-Object { '{0:N2}' -f ($oursRuns[$_] / $baselineRuns[$_]) }) -join ', '
    $cpuVerdict = if ($oursCpu -le $baselineCpu) { 'met' } else { 'NOT met' }
}
if ($full) {
    # The ceiling is the faster of the two raw loops, so the ratio is not flattered by a slow loop.
    $ceiling = @((Get-Median $restoreScenario 'raw ceiling: HttpClient + SigV4 CopyObject loop, 64 in flight'), (Get-Median $restoreScenario 'raw ceiling: HttpClient + SigV4 CopyObject loop, 128 in flight')) | Measure-Object -Minimum | ForEach-Object Minimum
    $oursProcess = Get-Median $restoreScenario 'S3Replication, whole process (pwsh -c import, connect, restore)'
    $awsDefault = Get-Median $restoreScenario 'aws s3 sync (aws CLI 2.9.19, defaults)'
    $rcloneBest = @((Get-Median $restoreScenario 'rclone sync (1.60, defaults)'), (Get-Median $restoreScenario 'rclone sync --transfers 64 --checkers 64')) | Where-Object { $_ } | Measure-Object -Minimum
    $idealMs = [Math]::Round(1000 * $ObjectCount / $ThrottleRate)
    $throttledRows = @($throttled | Group-Object Tool | ForEach-Object { $index = 0; $_.Group | ForEach-Object { $index++; $_ | Add-Member -PassThru Run $index } })
    $ourThrottled = @($throttled | Where-Object Tool -like 'S3Replication*')
    $importOverhead = (Get-Median 'cold start + Import-Module' 'S3Replication') - (Get-Median 'cold start, nothing loaded' 'pwsh -c exit (baseline)')
}

$lines = @(
    '# Benchmark results'
    ''
    "Run by ``build.ps1 Bench`` on $(Get-Date -AsUTC -Format 'yyyy-MM-dd HH:mm') UTC: $([Environment]::ProcessorCount) cores, " +
        "$([Math]::Round((Get-Content /proc/meminfo -First 1).Split(' ', [StringSplitOptions]::RemoveEmptyEntries)[1] / 1MB)) GiB, PowerShell $($PSVersionTable.PSVersion)."
    if ($baselineManifest) { "Baseline: the module built at $BaselineRevision (``$([IO.Path]::GetRelativePath($Root, $BaselineModulePath))``), measured in the same runs as the current one, each run in its own pwsh, in alternating order (baseline first on even runs, current first on odd ones); its rows say ``(baseline)``." }
    if ($Only) { "**Reduced run (``-Only $Only``)**: only the module's own $ObjectCount-object restores (into plain and versioned buckets) and no-op re-sync were measured; import time, the raw ceiling, the peers, the same-size change, throttling, the 1 GiB object and planning were left out, and so are their targets." }
    'Local Ceph RGW 16.2 (Debian) with the **stock beast frontend** (no tcp_nodelay), freshly started; server and clients share the 2 cores. The backup bucket is versioned; restores go into fresh plain buckets (as in the reference figures: a versioned destination costs this server about 1.5–2× per copy, for every tool), except in the versioned-bucket scenario.'
    "Each row: median and min–max of $Runs runs$(if ($full) { " (import rows: $importRuns)" }), tools interleaved run by run, every restore into a fresh empty bucket. Times in ms."
    '"In session" is the restore alone, in a pwsh that has imported the module, connected and done a small restore before (JIT warm); "whole process" is a cold pwsh doing all of it; the raw ceiling times its copy loop alone.'
    'pwsh is started as `dotnet pwsh` (the tool manifest), as the README has users run it.'
    ''
    '| scenario | tool | median | min–max |'
    '|---|---|---:|---:|'
    ($results | ForEach-Object { "| $($_.Scenario) | $($_.Tool) | $($_.MedianMs) | $($_.MinMs)–$($_.MaxMs) |" })
    ''
    '## Against the targets'
    ''
    if ($full) {
        "- ${ObjectCount}-object restore in session: **$(Ratio $ceiling $oursInSession)** of the raw ceiling's speed (the faster raw loop, $ceiling ms; target ≥ 0.90); " +
            "**$(Ratio $awsDefault $oursInSession)×** faster than ``aws s3 sync`` defaults (target ≥ 4); best rclone setting $(if ($rcloneBest.Count) { $rcloneBest.Minimum } else { 'n/a' }) ms vs ours $oursInSession ms."
        "- Whole process (import, connect, restore): **$(Ratio $awsDefault $oursProcess)×** faster than ``aws s3 sync`` defaults (target ≥ 3)."
        "- In-session wall against the raw loop (issue 24: at most the raw loop's): ours $oursInSession ms, raw loop 64 in flight $(Get-Median $restoreScenario 'raw ceiling: HttpClient + SigV4 CopyObject loop, 64 in flight') ms, 128 in flight $(Get-Median $restoreScenario 'raw ceiling: HttpClient + SigV4 CopyObject loop, 128 in flight') ms."
        "- Client CPU per object against the raw loop (issue 24: at most 1.3×): ours **$('{0:N2}' -f $oursCpu) ms** = **$(Ratio $oursCpu (Get-MedianOf $cpu['raw ceiling, 64 in flight (copy loop only)'].Client))×** the 64-in-flight loop's $('{0:N2}' -f (Get-MedianOf $cpu['raw ceiling, 64 in flight (copy loop only)'].Client)) ms and **$(Ratio $oursCpu (Get-MedianOf $cpu['raw ceiling, 128 in flight (copy loop only)'].Client))×** the 128-in-flight loop's $('{0:N2}' -f (Get-MedianOf $cpu['raw ceiling, 128 in flight (copy loop only)'].Client)) ms."
        "- Into versioned buckets: **$(Ratio (Get-Median $versionedScenario 'aws s3 sync (defaults)') (Get-Median $versionedScenario 'S3Replication, in session (defaults)'))×** faster than ``aws s3 sync`` in session (issue 24: ≥ 2.9), **$(Ratio (Get-Median $versionedScenario 'aws s3 sync (defaults)') (Get-Median $versionedScenario 'S3Replication, whole process'))×** for the whole process (≥ 2.3)."
        "- No-op re-sync in session: **$(Ratio (Get-Median $noopScenario 'aws s3 sync (defaults)') (Get-Median $noopScenario 'S3Replication, in session'))×** faster than ``aws s3 sync`` (target ≥ 3); rclone --checksum $(Get-Median $noopScenario 'rclone sync --checksum') ms vs ours $(Get-Median $noopScenario 'S3Replication, in session') ms."
        "- 50 objects changed in the destination with the same size, then restored: " + (($fixed.GetEnumerator() | ForEach-Object { "$($_.Key) put back $($_.Value) of 50" }) -join '; ') + '.'
        "- 1 GiB object: ours $(Get-Median 'restore one 1 GiB object, server-side' 'S3Replication, in session (one CopyObject below the 5 GiB threshold)') ms; aws $(Get-Median 'restore one 1 GiB object, server-side' 'aws s3 sync (defaults: multipart copy above 8 MiB)') ms; rclone $(Get-Median 'restore one 1 GiB object, server-side' 'rclone sync (defaults)') ms."
        "- Planning a compare of $($planFields['keys']) keys (synthetic listings, in process): $($planFields['seconds']) s, peak managed-heap growth **$($planFields['peakManagedGrowthMB']) MB**, peak working-set growth $($planFields['peakWorkingSetGrowthMB']) MB (target < 100 MB). The whole compare against listings at 100 ms a page and from S3 Inventory files, with peers: [Planning at scale](#planning-at-scale)."
        "- Import-Module overhead above the bare pwsh baseline (medians): **$importOverhead ms** (target < 300 ms)."
    }
    "- Client CPU per object, in session: **$('{0:N2}' -f $oursCpu) ms** (the issue's target: no more than 0.70 ms, its author's figure for the code before the restore service, measured on another day$(if ($full) { "; the raw loop: $('{0:N2}' -f (Get-MedianOf $cpu['raw ceiling, 64 in flight (copy loop only)'].Client)) ms" }))."
    if ($baselineManifest) {
        "- Client CPU per object, in session, against the baseline $BaselineRevision in the same run (measured in the same runs, in alternating order, $Runs runs each): current **$('{0:N2}' -f $oursCpu) ms** (min–max $(Format-CpuRange 'S3Replication, in session (the restore alone)')) vs baseline **$('{0:N2}' -f $baselineCpu) ms** ($(Format-CpuRange $baselineCpuTool)); current / baseline **$('{0:N2}' -f $cpuRatio)**, per run $pairedRatios (issue 21's target: current ≤ baseline, a ratio ≤ 1.00: $cpuVerdict)."
    }
    if ($full) {
        "- Throttled at $ThrottleRate requests/s: ours restored $(($ourThrottled | ForEach-Object Restored) -join ', ') of $ObjectCount objects in one run each, median **$(Ratio (Get-MedianOf $ourThrottled.Ms) $idealMs)× the ideal** $idealMs ms (target ≤ 1.15) with **$('{0:P1}' -f (Get-MedianOf ($ourThrottled | ForEach-Object { $_.Refused / [Math]::Max(1, $_.Requests) })))** of its requests refused (target < 5%)."
    }
    ''
    "## CPU per object ($ObjectCount x 1 KiB restore, medians of $Runs runs)"
    ''
    'Client: the tool''s own process CPU time (user + system) divided by the objects; for the aws CLI and rclone the whole process, start-up included; for ours the restore alone inside the session (the whole process too, below); for the raw loop the copy loop alone. Server: the Ceph daemons'' CPU time over the same run, from /proc.'
    ''
    '| tool | client CPU ms/object | server CPU ms/object |'
    '|---|---:|---:|'
    ($cpu.GetEnumerator() | ForEach-Object { "| $($_.Key) | $('{0:N2}' -f (Get-MedianOf $_.Value.Client)) | $('{0:N2}' -f (Get-MedianOf $_.Value.Server)) |" })
    if ($full) {
        ''
        "## Throttled: $ObjectCount x 1 KiB through a $ThrottleRate requests/s limit"
        ''
        "A loopback proxy in front of the server behaves like S3 above a prefix's request rate: a token bucket of $ThrottleRate requests/s ($([Math]::Max(10, $ThrottleRate / 10)) deep) answering 503 SlowDown when empty, and 25 ms added to every request. Ideal time: $idealMs ms ($ObjectCount copies at the limit). Each run restores into a fresh bucket; restored objects are counted at the server."
        ''
        '| tool | run | ms | × ideal | requests | refused | restored |'
        '|---|---:|---:|---:|---:|---:|---:|'
        ($throttledRows | ForEach-Object { "| $($_.Tool) | $($_.Run) | $([Math]::Round($_.Ms)) | $(Ratio $_.Ms $idealMs) | $($_.Requests) | $($_.Refused) ($('{0:P1}' -f ($_.Refused / [Math]::Max(1, $_.Requests)))) | $($_.Restored) of $ObjectCount |" })
        ''
        $planningSection
        ''
        $verifySection
    }
)
$lines | Set-Content $ResultsPath
$results | Format-Table Scenario, Tool, MedianMs, MinMs, MaxMs -AutoSize | Out-Host
Write-Host "Results written to $ResultsPath"
