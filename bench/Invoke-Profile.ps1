#Requires -Version 7.4
<#
    Profiles the client CPU of an in-session restore (default 20,000 x 1 KiB, server-side, into a plain bucket) on a
    freshly started local Ceph RGW, and writes what it goes to into bench/PROFILE.md. Run by: dotnet pwsh ./build.ps1 Profile
    The restore runs in its own pwsh (imported, connected, a small restore done first) with the runtime's perf map on;
    `perf record -g` samples that process for the restore alone, and bench/perf_attribution.py assigns every sample to
    the part of the code it was spent in. -BaselineModulePath profiles another build the same way, beside this one.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ResultsPath,
    [ValidateRange(1000, 1000000)] [int] $ObjectCount = 20000,
    [string] $BaselineModulePath,
    [string] $BaselineRevision = 'baseline'
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$Root = Join-Path $PSScriptRoot '..'
Set-Location $Root
Import-Module (Join-Path $Root 'tests/s3server/LocalS3.psm1')
Import-Module (Join-Path $PSScriptRoot 'BenchFixture.psm1')

if (-not (Get-Command perf -ErrorAction Ignore)) {
    if ((id -u) -ne '0') { throw 'perf is not installed: install the linux-perf package (sudo apt-get install linux-perf), then run this again.' }
    Write-Step 'Installing perf (linux-perf, through apt)'
    & apt-get install -y -q linux-perf | Out-Host
    if ($LASTEXITCODE -ne 0 -or -not (Get-Command perf -ErrorAction Ignore)) { throw 'Installing linux-perf failed; install it by hand and run this again.' }
}

$work = Join-Path $Root 'out/profile'
if (Test-Path $work) { Remove-Item $work -Recurse -Force }
$null = New-Item -ItemType Directory -Force $work

# The restore, in its own pwsh: it signals when it is warm (its process id), waits for the sampler, and reports.
$inner = Join-Path $work 'restore.ps1'
Set-Content $inner @'
param([string] $Manifest, [string] $Destination, [string] $Scratch, [string] $Signals)
Import-Module $Manifest
Connect-S3Backup -ProfileName bench -Bucket backup
$null = Sync-S3BackupToSource -BackupBucket backup -SourceBucket $Scratch -Include '*_00000?_v001.cdf' -InformationAction SilentlyContinue
Set-Content "$Signals.ready" $PID
while (-not (Test-Path "$Signals.go")) { Start-Sleep -Milliseconds 50 }
$process = [Diagnostics.Process]::GetCurrentProcess(); $cpu = $process.TotalProcessorTime; $watch = [Diagnostics.Stopwatch]::StartNew()
$results = Sync-S3BackupToSource -BackupBucket backup -SourceBucket $Destination -InformationAction SilentlyContinue
$watch.Stop(); $process.Refresh(); $cpu = $process.TotalProcessorTime - $cpu
# The sampler stops at "stopped"; counting the records afterwards is not the restore's.
Set-Content "$Signals.stopped" 1
while (-not (Test-Path "$Signals.sampled")) { Start-Sleep -Milliseconds 50 }
Set-Content "$Signals.done" ('{0} {1} {2}' -f [int]$watch.Elapsed.TotalMilliseconds, @($results | Where-Object Action -eq Copied).Count, [int]$cpu.TotalMilliseconds)
'@

$builds = [ordered]@{ current = $ModulePath }
if ($BaselineModulePath) { $builds[$BaselineRevision] = $BaselineModulePath }

Write-Step "Starting a fresh local S3 server and writing $ObjectCount x 1 KiB objects"
$server = Start-LocalS3 -MemoryBytes 8GB
$profiles = [ordered]@{}
try {
    Set-BenchProfile $server (Join-Path $work 'aws')
    New-BenchBackup $server $ModulePath $ObjectCount

    foreach ($build in $builds.GetEnumerator()) {
        Write-Step "Profiling the restore of $($build.Key)"
        $name = $build.Key -replace '[^\w]', ''
        $signals = Join-Path $work $name
        foreach ($bucket in "dst-$name", "scratch-$name") { New-LocalS3Bucket -Server $server -ModulePath $ModulePath -Name $bucket }
        # The perf map names jitted methods; without write-xor-execute the jitted code is mapped where perf reads it.
        $env:DOTNET_PerfMapEnabled = '1'; $env:DOTNET_EnableWriteXorExecute = '0'
        try {
            $restore = Start-Process dotnet -PassThru -ArgumentList @('pwsh', '-NoProfile', '-NonInteractive', '-File', $inner,
                (Join-Path $build.Value 'S3Replication.psd1'), "dst-$name", "scratch-$name", $signals)
        }
        finally { Remove-Item Env:DOTNET_PerfMapEnabled, Env:DOTNET_EnableWriteXorExecute }
        while (-not (Test-Path "$signals.ready")) {
            if ($restore.HasExited) { throw "The restore of $($build.Key) ended before it was ready (exit code $($restore.ExitCode))." }
            Start-Sleep -Milliseconds 100
        }
        $restorePid = [int](Get-Content "$signals.ready")
        $data = Join-Path $work "$name.perf.data"
        $sampler = Start-Process perf -PassThru -ArgumentList @('record', '-F', '499', '-g', '-p', $restorePid, '-o', $data) -RedirectStandardError (Join-Path $work "$name.perf.log")
        Start-Sleep -Seconds 1
        Set-Content "$signals.go" 1
        while (-not (Test-Path "$signals.stopped")) {
            if ($restore.HasExited) { throw "The restore of $($build.Key) ended before it was done (exit code $($restore.ExitCode))." }
            Start-Sleep -Milliseconds 20
        }
        & kill -INT $sampler.Id; $sampler.WaitForExit()
        Set-Content "$signals.sampled" 1
        $restore.WaitForExit()
        $wallMs, $copied, $cpuMs = [double[]]((Get-Content "$signals.done") -split ' ')
        if ($copied -ne $ObjectCount) { throw "The restore of $($build.Key) copied $copied of $ObjectCount objects." }
        # perf resolves jitted frames through the map at its usual place, so it moves to out/profile only afterwards.
        $map = "/tmp/perf-$restorePid.map"
        $attribution = & python3 (Join-Path $PSScriptRoot 'perf_attribution.py') $data $map | ConvertFrom-Json
        if ($LASTEXITCODE -ne 0) { throw "Attributing the samples of $($build.Key) failed." }
        Move-Item $map (Join-Path $work "$name.perf.map")
        $profiles[$build.Key] = [pscustomobject]@{ WallMs = $wallMs; CpuMs = $cpuMs; Attribution = $attribution }
    }
}
finally { Stop-LocalS3 $server }

# --- Report ----------------------------------------------------------------------------------------------------------
function Share($Measured, [string] $Part) {
    $count = ($Measured.Attribution.parts | Where-Object { $_[0] -eq $Part } | ForEach-Object { $_[1] }) ?? 0
    '{0:N1} %' -f (100 * $count / $Measured.Attribution.samples)
}
$names = @($profiles.Keys)
$parts = @($profiles.Values | ForEach-Object { $_.Attribution.parts } | ForEach-Object { $_[0] } | Select-Object -Unique)
$current = $profiles['current']
$lines = @(
    '# Where the client CPU of a restore goes'
    ''
    "Written by ``build.ps1 Profile`` on $(Get-Date -AsUTC -Format 'yyyy-MM-dd HH:mm') UTC: $([Environment]::ProcessorCount) cores, PowerShell $($PSVersionTable.PSVersion), a freshly started local Ceph RGW on the same cores."
    "One in-session restore of $ObjectCount x 1 KiB objects, server-side, into a plain bucket, per build: the pwsh has imported the module, connected and restored 9 objects first; ``perf record -F 499 -g`` samples that process for the restore alone; the runtime's perf map (``DOTNET_PerfMapEnabled=1``, with ``DOTNET_EnableWriteXorExecute=0`` so perf can read jitted frames) names the methods, and ``bench/perf_attribution.py`` assigns each sample to the innermost frame of a known part (CoreLib and native frames are skipped, so async plumbing counts for whoever resumed). Raw data: ``out/profile``."
    ''
    '| | ' + ($names -join ' | ') + ' |'
    '|---|' + ('---:|' * $names.Count)
    '| wall (ms) | ' + (($profiles.Values | ForEach-Object { $_.WallMs }) -join ' | ') + ' |'
    '| client CPU (ms) | ' + (($profiles.Values | ForEach-Object { $_.CpuMs }) -join ' | ') + ' |'
    '| client CPU per object (ms) | ' + (($profiles.Values | ForEach-Object { '{0:N3}' -f ($_.CpuMs / $ObjectCount) }) -join ' | ') + ' |'
    '| samples | ' + (($profiles.Values | ForEach-Object { $_.Attribution.samples }) -join ' | ') + ' |'
    ''
    '## Share of the samples, by part'
    ''
    '| part | ' + ($names -join ' | ') + ' |'
    '|---|' + ('---:|' * $names.Count)
    ($parts | ForEach-Object { $part = $_; "| $part | " + (($profiles.Values | ForEach-Object { Share $_ $part }) -join ' | ') + ' |' })
    ''
    '## Threads (current build)'
    ''
    '| thread | share |'
    '|---|---:|'
    ($current.Attribution.threads | ForEach-Object { "| $($_[0]) | $('{0:N1} %' -f (100 * $_[1] / $current.Attribution.samples)) |" })
    ''
    '## Methods re-jitted (tier 1 and instrumented tiers, whole process), by assembly (current build)'
    ''
    '| assembly | methods |'
    '|---|---:|'
    ($current.Attribution.rejittedByAssembly | ForEach-Object { "| $($_[0]) | $($_[1]) |" })
    ''
    '## Our own methods, innermost (current build)'
    ''
    '| method | share |'
    '|---|---:|'
    ($current.Attribution.ourMethods | ForEach-Object { "| ``$($_[0] -replace '\|', '\|')`` | $('{0:N1} %' -f (100 * $_[1] / $current.Attribution.samples)) |" })
)
$lines | Set-Content $ResultsPath
Write-Host "Profile written to $ResultsPath"
