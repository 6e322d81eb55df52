#Requires -Version 7.4
<#
    One Compare-S3BackupBucket in this (fresh) pwsh, for the planning bench (bench/PlanningBench.psm1): imports the
    module, connects with -ProfileName (and -SourceProfileName for the source side), then measures the compare alone: wall time, this process's CPU time, working set
    before and after and its peak during the compare (VmHWM, reset through /proc/self/clear_refs just before), and the
    managed heap (GC.GetTotalMemory) before, after and at its peak (sampled every 10 ms on a thread of its own). Writes
    the figures, the counts the compare's verbose line gives, its warnings and verbose lines to -OutFile as JSON (sizes in
    MB, 10^6 bytes), and every result row to -RowsFile as it comes (State, Reason and Key, tab-separated); errors are
    recorded, not thrown.
    The compare runs cold, as a nightly runbook's would: nothing was compared in this process before it.
#>
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $ProfileName,
    # A profile of its own for the source side (-SourceSession; the backup side keeps -ProfileName's session).
    [string] $SourceProfileName,
    [Parameter(Mandatory)] [string] $BackupBucket,
    [Parameter(Mandatory)] [string] $SourceBucket,
    [string] $BackupInventory,
    [string] $SourceInventory,
    [Parameter(Mandatory)] [string] $OutFile,
    [Parameter(Mandatory)] [string] $RowsFile
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

Add-Type -TypeDefinition @'
using System;
using System.Threading;
public static class ManagedPeak
{
    private static long _peak;
    private static volatile bool _running;
    private static Thread _thread;
    public static void Start()
    {
        _peak = GC.GetTotalMemory(false);
        _running = true;
        _thread = new Thread(() => { while (_running) { var now = GC.GetTotalMemory(false); if (now > _peak) { _peak = now; } Thread.Sleep(10); } }) { IsBackground = true };
        _thread.Start();
    }
    public static long Stop()
    {
        _running = false;
        _thread.Join();
        return Math.Max(_peak, GC.GetTotalMemory(false));
    }
}
'@

function Get-StatusKb([string] $Field) { [long](((Get-Content /proc/self/status | Where-Object { $_ -like "${Field}:*" }) -split '\s+')[1]) }

Import-Module (Resolve-Path -LiteralPath $ModuleManifest).Path
$arguments = @{ BackupBucket = $BackupBucket; SourceBucket = $SourceBucket }
if ($SourceProfileName) {
    $arguments.SourceSession = Connect-S3Backup -ProfileName $SourceProfileName -PassThru
    $arguments.BackupSession = Connect-S3Backup -ProfileName $ProfileName -PassThru
}
else { $null = Connect-S3Backup -ProfileName $ProfileName }
if ($BackupInventory) { $arguments.BackupInventory = $BackupInventory }
if ($SourceInventory) { $arguments.SourceInventory = $SourceInventory }

# Rows are written out as they come (State, Reason, Key: tab-separated, the key last), not held: a compare whose every
# key differs would otherwise count half a million result objects as its own memory.
$rows = [IO.StreamWriter]::new($RowsFile, $false, [Text.UTF8Encoding]::new($false))
$verbose = [Collections.Generic.List[string]]::new()
[GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
$process = [Diagnostics.Process]::GetCurrentProcess()
$managedBefore = [GC]::GetTotalMemory($true)
$process.Refresh(); $workingSetBefore = $process.WorkingSet64
$gen2Before = [GC]::CollectionCount(2)
[IO.File]::WriteAllText('/proc/self/clear_refs', '5')   # VmHWM := VmRSS, so the peak below is the compare's
[ManagedPeak]::Start()
$cpuBefore = $process.TotalProcessorTime
$watch = [Diagnostics.Stopwatch]::StartNew()
$warnings = $null; $failures = $null
try {
    Compare-S3BackupBucket @arguments -Verbose -WarningVariable warnings -WarningAction SilentlyContinue -ErrorVariable failures -ErrorAction SilentlyContinue 4>&1 |
        ForEach-Object {
            if ($_ -is [Management.Automation.VerboseRecord]) { $verbose.Add($_.Message) }
            else { $rows.Write($_.State); $rows.Write("`t"); $rows.Write($_.Reason); $rows.Write("`t"); $rows.WriteLine($_.Key) }
        }
}
finally { $rows.Dispose() }
$watch.Stop()
$process.Refresh(); $cpu = $process.TotalProcessorTime - $cpuBefore
$managedPeak = [ManagedPeak]::Stop()
$peakKb = Get-StatusKb VmHWM
$workingSetAfter = $process.WorkingSet64
$managedAfter = [GC]::GetTotalMemory($false)

$counts = [ordered]@{}
$summary = $verbose | Where-Object { $_ -like 'Compared s3://*' } | Select-Object -Last 1
if ($summary -and $summary -match ': (.+)$') {
    foreach ($part in $Matches[1] -split ', ') { if ($part -match '^(\d+) (\w+)$') { $counts[$Matches[2]] = [long]$Matches[1] } }
}
[ordered]@{
    Seconds = $watch.Elapsed.TotalSeconds
    CpuSeconds = $cpu.TotalSeconds
    WorkingSetBeforeMB = $workingSetBefore / 1e6
    WorkingSetAfterMB = $workingSetAfter / 1e6
    PeakWorkingSetMB = $peakKb * 1024 / 1e6
    ManagedBeforeMB = $managedBefore / 1e6
    ManagedAfterMB = $managedAfter / 1e6
    PeakManagedMB = $managedPeak / 1e6
    Gen2Collections = [GC]::CollectionCount(2) - $gen2Before
    Counts = $counts
    Verbose = @($verbose)
    Warnings = @($warnings | ForEach-Object { "$_" })
    Errors = @($failures | ForEach-Object { "$_" })
} | ConvertTo-Json -Depth 4 | Set-Content -LiteralPath $OutFile -Encoding utf8
