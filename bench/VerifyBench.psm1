# The bench's "Verifying the backup" section (issue 26): the two questions an operator asks of a cross-account backup,
# each answered by the module and by the way a runbook would with the aws CLI or rclone, tools interleaved run by run,
# each scenario on a freshly started local Ceph server.
#  1. Is replication working? The replication status of the newest objects of a big source bucket, written while the
#     replication stand-in (tests/standins/replication.py) ran: Test-S3BackupReplication -Sample, against
#     aws s3api list-objects-v2 + head-object (bench/replication-status-runbook.sh), one after another and with xargs -P.
#     Every tool reaches Ceph through the stand-in's S3 front, which adds x-amz-replication-status and logs each request.
#  2. Is the backup's content the source's? Objects of 1 MiB on both sides, one backup object of the same size with other
#     bytes: Compare-S3BackupBucket -CompareBy ComputedChecksum (the S3 Control stand-in computes the checksums on the
#     server's side), rclone check --download, aws s3 sync --dryrun. What each client downloaded is counted by a TCP
#     relay between it and the servers.
# Every tool's answer is checked against what the fixture wrote. Returns the section's Markdown lines.
Set-StrictMode -Version Latest

$script:Root = Join-Path $PSScriptRoot '..'
Import-Module (Join-Path $script:Root 'tests/standins/StandIns.psm1')
Import-Module (Join-Path $script:Root 'tests/s3server/LocalS3.psm1')
Import-Module (Join-Path $PSScriptRoot 'BenchFixture.psm1')

if (-not ('S3Replication.Bench.CountingRelay' -as [type])) {
    Add-Type -TypeDefinition @'
using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace S3Replication.Bench
{
    /// <summary>
    /// A loopback TCP relay to 127.0.0.1:targetPort that counts the bytes going each way. It passes the bytes through
    /// untouched (a SigV4 signature made for the relay's address stays valid: the server checks it against the Host
    /// header it receives), so a client pointed at Endpoint works as against the server, and BytesToClient is what the
    /// server sent it: HTTP headers and bodies, as they went over the connection.
    /// </summary>
    public sealed class CountingRelay : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly int _targetPort;
        private long _toClient, _toServer, _connections;
        private volatile bool _stopped;

        public CountingRelay(int targetPort)
        {
            _targetPort = targetPort;
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start(1024);
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _ = AcceptAsync();
        }

        public int Port { get; }
        public string Endpoint => "http://127.0.0.1:" + Port;
        public long BytesToClient => Interlocked.Read(ref _toClient);
        public long BytesToServer => Interlocked.Read(ref _toServer);
        public long Connections => Interlocked.Read(ref _connections);

        private async Task AcceptAsync()
        {
            while (!_stopped)
            {
                Socket client;
                try { client = await _listener.AcceptSocketAsync().ConfigureAwait(false); }
                catch (ObjectDisposedException) { return; }
                catch (SocketException) { if (_stopped) { return; } continue; }
                _ = RelayAsync(client);
            }
        }

        private async Task RelayAsync(Socket client)
        {
            using (client)
            using (var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                client.NoDelay = true;
                server.NoDelay = true;
                try { await server.ConnectAsync(IPAddress.Loopback, _targetPort).ConfigureAwait(false); }
                catch (SocketException) { return; }
                Interlocked.Increment(ref _connections);
                await Task.WhenAll(PumpAsync(client, server, true), PumpAsync(server, client, false)).ConfigureAwait(false);
            }
        }

        private async Task PumpAsync(Socket from, Socket to, bool toServer)
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    var read = await from.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                    if (read == 0) { break; }
                    if (toServer) { Interlocked.Add(ref _toServer, read); } else { Interlocked.Add(ref _toClient, read); }
                    var sent = 0;
                    while (sent < read) { sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None).ConfigureAwait(false); }
                }
                to.Shutdown(SocketShutdown.Send);
            }
            catch (Exception)
            {
                // A reset on either side ends both directions.
                try { from.Shutdown(SocketShutdown.Both); } catch (Exception) { }
                try { to.Shutdown(SocketShutdown.Both); } catch (Exception) { }
            }
        }

        public void Dispose()
        {
            _stopped = true;
            _listener.Stop();
        }
    }
}
'@
}

# CPU time, in ms, a process has used so far (utime + stime of /proc/PID/stat, 100 ticks a second).
function Get-ProcessCpuMs([int] $ProcessId) {
    $fields = (Get-Content "/proc/$ProcessId/stat" -Raw) -replace '^.*\) ', '' -split ' '
    ([long]$fields[11] + [long]$fields[12]) * 10
}

function Get-MedianValue([double[]] $Values) { $sorted = @($Values | Sort-Object); $sorted[[int][Math]::Floor(($sorted.Count - 1) / 2)] }
# "12.3 (11.9–13.0)", or one figure where all runs agree (or there is one).
function Format-Range([double[]] $Values, [string] $Format = '{0:N1}') {
    $sorted = @($Values | Sort-Object)
    if ($sorted[0] -eq $sorted[-1]) { $Format -f $sorted[0] } else { "$($Format -f (Get-MedianValue $sorted)) ($($Format -f $sorted[0])–$($Format -f $sorted[-1]))" }
}
function Format-Bytes([double] $Bytes) {
    if ($Bytes -ge 1MB) { '{0:N1} MiB' -f ($Bytes / 1MB) } elseif ($Bytes -ge 1KB) { '{0:N1} KiB' -f ($Bytes / 1KB) } else { '{0:N0} B' -f $Bytes }
}

# Writes objects with up to $InFlight PUTs at once: each key's bytes from $Bodies, or else $Bytes.
function Write-BenchObject($Server, [string] $ModulePath, [string] $Bucket, [string[]] $Key, [byte[]] $Bytes, [Collections.IDictionary] $Bodies, [int] $InFlight = 32) {
    $client = New-LocalS3Client -Server $Server -ModulePath $ModulePath
    try {
        for ($at = 0; $at -lt $Key.Count; $at += $InFlight) {
            $tasks = foreach ($name in $Key[$at..([Math]::Min($Key.Count, $at + $InFlight) - 1)]) {
                $body = if ($Bodies -and $Bodies.Contains($name)) { $Bodies[$name] } else { $Bytes }
                $request = [Amazon.S3.Model.PutObjectRequest]::new()
                $request.BucketName = $Bucket; $request.Key = $name; $request.InputStream = [IO.MemoryStream]::new($body)
                $client.PutObjectAsync($request)
            }
            [Threading.Tasks.Task]::WaitAll([Threading.Tasks.Task[]]@($tasks))
        }
    }
    finally { $client.Dispose() }
}

# Runs a command in a fresh pwsh with the module: wall time from outside, this process's children's CPU over it, and
# its last output line read as JSON.
function Invoke-FreshPwsh([string] $Command) {
    $cpuBefore = Get-ChildCpuMs
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $output = @(& dotnet pwsh -NoProfile -NonInteractive -Command $Command 2>&1)
    $watch.Stop()
    if ($LASTEXITCODE -ne 0) { throw "A measured pwsh failed (exit code $LASTEXITCODE): $($output -join "`n")" }
    [pscustomobject]@{ Seconds = $watch.Elapsed.TotalSeconds; CpuSeconds = ((Get-ChildCpuMs) - $cpuBefore) / 1000; Result = ("$($output[-1])" | ConvertFrom-Json -DateKind String) }
}

# A peer as a child process: wall time, its CPU (with its children's), its output lines; exit codes in $AllowedExit pass.
function Invoke-PeerProcess([string] $FilePath, [string[]] $ArgumentList, [int[]] $AllowedExit = @(0)) {
    $cpuBefore = Get-ChildCpuMs
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $output = @(& $FilePath @ArgumentList 2>&1)
    $watch.Stop()
    if ($LASTEXITCODE -notin $AllowedExit) { throw "$FilePath failed (exit code $LASTEXITCODE): $(($output | Select-Object -Last 5) -join "`n")" }
    [pscustomobject]@{ Seconds = $watch.Elapsed.TotalSeconds; CpuSeconds = ((Get-ChildCpuMs) - $cpuBefore) / 1000; Output = @($output | ForEach-Object { "$_" }) }
}

# The S3 front's requests (GET /_standin/front) answered between two moments, as LIST pages, HEADs of objects and the
# rest, with the keys of $Bucket those HEADs read.
function Get-FrontRequest($StandIn, [datetime] $From, [datetime] $To, [string] $Bucket) {
    $log = (Invoke-WebRequest -Uri "$($StandIn.Endpoint)/_standin/front" -NoProxy).Content | ConvertFrom-Json -DateKind String
    $listing = 'list-type', 'prefix', 'delimiter', 'marker', 'max-keys', 'continuation-token', 'start-after', 'encoding-type', 'fetch-owner'
    $counts = [ordered]@{ List = 0; Head = 0; Other = 0 }
    $other = @{}
    $keys = [Collections.Generic.List[string]]::new()
    foreach ($entry in @($log)) {
        $at = [datetime]::Parse($entry.At, [Globalization.CultureInfo]::InvariantCulture, [Globalization.DateTimeStyles]::AdjustToUniversal -bor [Globalization.DateTimeStyles]::AssumeUniversal)
        if ($at -lt $From -or $at -gt $To) { continue }
        $path, $query = "$($entry.Target)" -split '\?', 2
        $bucket, $key = $path.TrimStart('/') -split '/', 2
        $names = @(if ($query) { $query -split '&' | ForEach-Object { [Uri]::UnescapeDataString(($_ -split '=', 2)[0]) } })
        if ($entry.Method -eq 'GET' -and $bucket -and -not $key -and -not @($names | Where-Object { $_ -notin $listing })) { $counts.List++ }
        elseif ($entry.Method -eq 'HEAD' -and $key) {
            $counts.Head++
            if ($bucket -eq $Bucket) { $keys.Add([Uri]::UnescapeDataString($key)) }
        }
        else {
            $counts.Other++
            $name = "$($entry.Method) $(if ($key) { 'object' } elseif ($bucket) { "bucket$(if ($names) { '?' + ($names -join '&') })" } else { '/' })"
            $other[$name] = 1 + ($other[$name] ?? 0)
        }
    }
    [pscustomobject]@{ List = $counts.List; Head = $counts.Head; Other = $counts.Other; Keys = $keys
        OtherText = ($other.GetEnumerator() | Sort-Object Name | ForEach-Object { "$($_.Value) $($_.Name)" }) -join ', ' }
}

<#
.SYNOPSIS
    Measures the "Verifying the backup" section and returns its Markdown lines (a "## Verifying the backup" section).
#>
function Invoke-VerifyBench {
    param(
        [Parameter(Mandatory)] [string] $ModulePath,
        [int] $Runs = 3,
        # Scenario 1: objects in the source bucket, and how many of the newest every tool reads the status of.
        [int] $SourceObjects = 20000,
        [int] $Sample = 100,
        # Scenario 2: objects on each side, and their size.
        [int] $ChecksumObjects = 200,
        [int] $ChecksumObjectBytes = 1MB,
        [string] $Aws,
        [string] $Rclone
    )
    $ModulePath = (Resolve-Path $ModulePath).Path
    $manifest = Join-Path $ModulePath 'S3Replication.psd1'
    $folder = Join-Path $script:Root 'out/bench-verify'
    if (Test-Path $folder) { Remove-Item $folder -Recurse -Force }
    $null = New-Item -ItemType Directory -Force $folder
    $started = [Diagnostics.Stopwatch]::StartNew()
    $savedEnvironment = Set-Environment @{ AWS_CONFIG_FILE = $env:AWS_CONFIG_FILE; AWS_SHARED_CREDENTIALS_FILE = $env:AWS_SHARED_CREDENTIALS_FILE
        AWS_ENDPOINT_URL_S3_CONTROL = $env:AWS_ENDPOINT_URL_S3_CONTROL }
    $awsVersion = if ($Aws) { ((& $Aws --version) -split ' ')[0] -replace '^aws-cli/', '' }
    $rcloneVersion = if ($Rclone) { ((& $Rclone version | Select-Object -First 1) -split ' ')[1] }
    $runbook = Join-Path $PSScriptRoot 'replication-status-runbook.sh'
    $quiet = '-WarningAction SilentlyContinue -InformationAction SilentlyContinue'
    # The aws CLI with plain keys and no profile files (aws CLI 2.9 ignores endpoint_url in profiles); AWS_CA_BUNDLE off.
    $awsEnvironment = { param($Server) @{ AWS_ACCESS_KEY_ID = $Server.AccessKey; AWS_SECRET_ACCESS_KEY = $Server.SecretKey; AWS_DEFAULT_REGION = 'us-east-1'
        AWS_CONFIG_FILE = '/nonexistent'; AWS_SHARED_CREDENTIALS_FILE = '/nonexistent'; AWS_CA_BUNDLE = $null; AWS_PROFILE = $null } }
    $replicationRows = [Collections.Generic.List[object]]::new()
    $checksumRows = [Collections.Generic.List[object]]::new()
    try {
        # --- 1. Is replication working? --------------------------------------------------------------------------------
        Write-Step "Verifying the backup: a fresh local S3 server (tcp_nodelay), the replication stand-in, $('{0:N0}' -f $SourceObjects) source objects"
        $server = Start-LocalS3 -NoDelay -MemoryBytes 8GB
        try {
            foreach ($bucket in 'source', 'backup', 'warm-source', 'warm-backup') { New-LocalS3Bucket -Server $server -ModulePath $ModulePath -Name $bucket -Versioned }
            # Ceph (Pacific) refuses the replication actions' names in a role policy: the role grants by wildcard (as in the Pester tests).
            $policy = @{ Version = '2012-10-17'; Statement = @(@{ Effect = 'Allow'; Action = @('s3:*')
                Resource = @('source', 'backup', 'warm-source', 'warm-backup' | ForEach-Object { "arn:aws:s3:::$_"; "arn:aws:s3:::$_/*" }) }) } | ConvertTo-Json -Depth 6 -Compress
            $role = New-LocalS3Role -Server $server -Name 'VerifyReplication' -TrustedService 's3.amazonaws.com', 'batchoperations.s3.amazonaws.com' -PolicyDocument $policy
            # No polling of its own (a poll lists every version of every bucket): each pass is asked for with /_standin/sync.
            $replication = Start-ReplicationStandIn -S3Endpoint $server.Endpoint -AccessKey $server.AccessKey -SecretKey $server.SecretKey `
                -Folder (Join-Path $folder 'replication') -IntervalMilliseconds 86400000
            try {
                $standIn = { param([string] $Path, $Body = @{})
                    Invoke-RestMethod -Method Post "$($replication.Endpoint)/_standin/$Path" -NoProxy -TimeoutSec 7200 -ContentType 'application/json' -Body ($Body | ConvertTo-Json -Compress) }
                # "verify" reaches the Ceph server through the stand-in's front, so HeadObject carries the replication status.
                Set-BenchProfileFile (Join-Path $folder 'aws') ([ordered]@{ verify = @{ Endpoint = $replication.S3Endpoint; AccessKey = $server.AccessKey; SecretKey = $server.SecretKey } })
                $rules = "Import-Module '$manifest'; `$null = Connect-S3Backup -ProfileName verify $quiet; " +
                    (@('source', 'warm-source') | ForEach-Object { "`$null = New-S3BackupReplicationRule -SourceBucket $_ -DestinationBucket $($_ -replace 'source$', 'backup') -DestinationAccountId 444455556666 -RoleArn '$($role.Arn)' -Confirm:`$false $quiet; " }) +
                    "'{}'"
                $null = Invoke-FreshPwsh $rules

                # The older objects, replicated; 2 s later (past any tie in LastModified) the newest: most replicated, some failed, some pending.
                $failedCount = [Math]::Max(1, [int]($Sample / 20)); $pendingCount = $failedCount; $completedCount = $Sample - $failedCount - $pendingCount
                $older = @(1..($SourceObjects - $Sample) | ForEach-Object { Get-BenchKey $_ })
                $newest = @(($SourceObjects - $Sample + 1)..$SourceObjects | ForEach-Object { Get-BenchKey $_ })
                $small = [Text.Encoding]::ASCII.GetBytes('x' * 1024)
                $fixture = [Diagnostics.Stopwatch]::StartNew()
                Write-BenchObject $server $ModulePath 'source' $older $small
                Write-BenchObject $server $ModulePath 'warm-source' @(1..20 | ForEach-Object { Get-BenchKey $_ }) $small
                $writeSeconds = $fixture.Elapsed.TotalSeconds
                Write-Step "Verifying the backup: the replication stand-in copies the $('{0:N0}' -f $older.Count) older objects (one at a time)"
                $copied = & $standIn sync
                $copySeconds = $fixture.Elapsed.TotalSeconds - $writeSeconds
                Start-Sleep -Seconds 2
                Write-BenchObject $server $ModulePath 'source' $newest[0..($completedCount - 1)] $small
                $null = & $standIn sync
                $failing = @($newest[$completedCount..($completedCount + $failedCount - 1)])
                $null = & $standIn fail @{ keys = $failing }
                Write-BenchObject $server $ModulePath 'source' $failing $small
                $null = & $standIn sync
                $null = & $standIn pause
                Write-BenchObject $server $ModulePath 'source' $newest[($completedCount + $failedCount)..($Sample - 1)] $small
                $null = & $standIn sync
                $fixtureSeconds = $fixture.Elapsed.TotalSeconds
                # What the stand-in says of every source object: the expected answer.
                $records = @((Invoke-RestMethod "$($replication.Endpoint)/_standin/status?bucket=source" -NoProxy).Objects)
                $statusOf = @{}; foreach ($record in $records) { $statusOf[$record.Key] = $record.ReplicationStatus }
                $expectedKeys = [Collections.Generic.HashSet[string]]::new([string[]]$newest, [StringComparer]::Ordinal)
                $expectedCounts = $newest | Group-Object { $statusOf[$_] ?? 'NONE' } | Sort-Object Name | ForEach-Object { "$($_.Count) $($_.Name)" }
                $expectedText = $expectedCounts -join ', '
                $olderCounts = ($older | Group-Object { $statusOf[$_] ?? 'NONE' } | Sort-Object Name | ForEach-Object { "$('{0:N0}' -f $_.Count) $($_.Name)" }) -join ', '
                if ($expectedText -ne "$completedCount COMPLETED, $failedCount FAILED, $pendingCount PENDING") { throw "The replication fixture is not as written: the newest $Sample are $expectedText." }

                # Each tool's answer: the keys it read (the HEADs the front saw) and the statuses it reports.
                $check = { param([string[]] $Keys, [string] $Counts)
                    $hit = @($Keys | Where-Object { $expectedKeys.Contains($_) } | Sort-Object -Unique).Count
                    $extra = @($Keys | Where-Object { -not $expectedKeys.Contains($_) }).Count
                    [pscustomobject]@{ KeysText = "$hit/$Sample$(if ($extra) { ", $extra others" })"; Same = ($hit -eq $Sample -and -not $extra -and $Counts -eq $expectedText); Counts = $Counts }
                }
                $ours = { param([switch] $InSession)
                    $warm = if ($InSession) { "`$null = Test-S3BackupReplication -SourceBucket warm-source -RoleArn '$($role.Arn)' -Sample 10 $quiet; " } else { '' }
                    $command = "`$ProgressPreference = 'SilentlyContinue'; Import-Module '$manifest'; `$null = Connect-S3Backup -ProfileName verify $quiet; $warm" +
                        "`$process = [Diagnostics.Process]::GetCurrentProcess(); `$cpu = `$process.TotalProcessorTime; " +
                        "`$start = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds(); `$watch = [Diagnostics.Stopwatch]::StartNew(); " +
                        "`$findings = @(Test-S3BackupReplication -SourceBucket source -RoleArn '$($role.Arn)' -Sample $Sample $quiet); `$watch.Stop(); `$process.Refresh(); " +
                        "@{ Seconds = `$watch.Elapsed.TotalSeconds; CpuSeconds = (`$process.TotalProcessorTime - `$cpu).TotalSeconds; Start = `$start; End = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds(); " +
                        "Findings = @(`$findings | ForEach-Object { @{ Check = `$_.Check; Outcome = [string]`$_.Outcome; Detail = `$_.Detail } }) } | ConvertTo-Json -Depth 4 -Compress"
                    $from = [DateTime]::UtcNow
                    $run = Invoke-FreshPwsh $command
                    $to = [DateTime]::UtcNow
                    if ($InSession) { $from = [DateTimeOffset]::FromUnixTimeMilliseconds($run.Result.Start).UtcDateTime; $to = [DateTimeOffset]::FromUnixTimeMilliseconds($run.Result.End).UtcDateTime }
                    $requests = Get-FrontRequest $replication $from $to 'source'
                    $sampled = @($run.Result.Findings | Where-Object Check -EQ 'Sample' | Select-Object -First 1)
                    $counts = if ($sampled -and $sampled[0].Detail -match '^The \d+ newest object\(s\) \(([^)]*)\)') { $Matches[1] } else { "no sample finding: $($run.Result.Findings | ConvertTo-Json -Compress)" }
                    $outcomes = ($run.Result.Findings | Group-Object Outcome | Sort-Object Name | ForEach-Object { "$($_.Count) $($_.Name)" }) -join ', '
                    [pscustomobject]@{ Seconds = if ($InSession) { $run.Result.Seconds } else { $run.Seconds }; CpuSeconds = if ($InSession) { $run.Result.CpuSeconds } else { $run.CpuSeconds }; Requests = $requests
                        Check = (& $check $requests.Keys $counts); Outcomes = $outcomes; SampleDetail = $(if ($sampled) { $sampled[0].Detail } else { '' }) }
                }
                $runbookRun = { param([int] $Parallel)
                    $saved = Set-Environment (& $awsEnvironment $server)
                    try {
                        $from = [DateTime]::UtcNow
                        $run = Invoke-PeerProcess bash @($runbook, $Aws, 'source', "$Sample", "$Parallel", $replication.S3Endpoint)
                        $to = [DateTime]::UtcNow
                    }
                    finally { $null = Set-Environment $saved }
                    $lines = @($run.Output | Where-Object { $_ -match "`t" })
                    $keys = @($lines | ForEach-Object { ($_ -split "`t")[0] })
                    $counts = ($lines | Group-Object { ($_ -split "`t")[1] } | Sort-Object Name | ForEach-Object { "$($_.Count) $($_.Name)" }) -join ', '
                    $requests = Get-FrontRequest $replication $from $to 'source'
                    [pscustomobject]@{ Seconds = $run.Seconds; CpuSeconds = $run.CpuSeconds; Requests = $requests; Check = (& $check $keys $counts) }
                }
                $tools = [ordered]@{
                    cold = @{ Name = "Test-S3BackupReplication -Sample $Sample, fresh pwsh (import, connect, test: the whole process)"; Run = { & $ours } }
                    session = @{ Name = "Test-S3BackupReplication -Sample $Sample, in session (the call alone, after a test of another bucket)"; Run = { & $ours -InSession } }
                }
                if ($Aws) {
                    $tools.sequential = @{ Name = "aws s3api list-objects-v2 (all pages) + head-object × $Sample, one after another (aws CLI $awsVersion)"; Run = { & $runbookRun 1 } }
                    $tools.parallel = @{ Name = "aws s3api list-objects-v2 (all pages) + head-object × $Sample, xargs -P 8 (aws CLI $awsVersion)"; Run = { & $runbookRun 8 } }
                }
                $measured = @{}; foreach ($name in $tools.Keys) { $measured[$name] = [Collections.Generic.List[object]]::new() }
                for ($run = 0; $run -lt $Runs; $run++) {
                    foreach ($name in $tools.Keys) {
                        Write-Step "Verifying the backup (replication status): $($tools[$name].Name), run $($run + 1) of $Runs"
                        $measured[$name].Add((& $tools[$name].Run))
                    }
                }
                foreach ($name in $tools.Keys) {
                    $all = $measured[$name]
                    $replicationRows.Add([pscustomobject]@{
                        Tool = $tools[$name].Name; Seconds = [double[]]$all.Seconds; CpuSeconds = [double[]]$all.CpuSeconds
                        List = [double[]]$all.Requests.List; Head = [double[]]$all.Requests.Head; Other = [double[]]$all.Requests.Other
                        OtherText = (@($all.Requests.OtherText) | Sort-Object -Unique) -join '; '
                        Keys = (@($all.Check.KeysText) | Sort-Object -Unique) -join '; '; Counts = (@($all.Check.Counts) | Sort-Object -Unique) -join '; '
                        Same = -not @($all.Check | Where-Object { -not $_.Same })
                        Outcomes = if ($all[0].PSObject.Properties['Outcomes']) { (@($all.Outcomes) | Sort-Object -Unique) -join '; ' } else { '' }
                        SampleDetail = if ($all[0].PSObject.Properties['SampleDetail']) { $all[0].SampleDetail } else { '' }
                    })
                }
            }
            finally { Stop-StandIn $replication }
        }
        finally { Stop-LocalS3 $server }

        # --- 2. Is the backup's content the source's? ---------------------------------------------------------------------
        Write-Step "Verifying the backup: a fresh local S3 server (tcp_nodelay), $ChecksumObjects x $(Format-Bytes $ChecksumObjectBytes) on each side, one backup object changed"
        $server = Start-LocalS3 -NoDelay -MemoryBytes 4GB
        try {
            New-LocalS3Bucket -Server $server -ModulePath $ModulePath -Name 'source' -Versioned
            New-LocalS3Bucket -Server $server -ModulePath $ModulePath -Name 'backup' -Versioned
            New-LocalS3Bucket -Server $server -ModulePath $ModulePath -Name 'work'
            $batchRole = New-LocalS3Role -Server $server -Name 'VerifyBatch' -TrustedService 'batchoperations.s3.amazonaws.com'
            $keys = @(1..$ChecksumObjects | ForEach-Object { Get-BenchKey $_ })
            $changed = $keys[[int]($ChecksumObjects / 2)]
            $bodies = @{}; foreach ($key in $keys) { $bodies[$key] = [Security.Cryptography.RandomNumberGenerator]::GetBytes($ChecksumObjectBytes) }
            $other = [Security.Cryptography.RandomNumberGenerator]::GetBytes($ChecksumObjectBytes)
            # The source first, then the backup's copies: newer than the source's, as replicas are.
            Write-BenchObject $server $ModulePath 'source' $keys -Bodies $bodies -InFlight 8
            $bodies[$changed] = $other
            Write-BenchObject $server $ModulePath 'backup' $keys -Bodies $bodies -InFlight 8
            $bodies = $null
            # The changed object's ETags (single PUTs: MD5s), as the listing gives them.
            $client = New-LocalS3Client -Server $server -ModulePath $ModulePath
            try { $etags = foreach ($bucket in 'source', 'backup') { $client.GetObjectMetadataAsync($bucket, $changed).GetAwaiter().GetResult().ETag } }
            finally { $client.Dispose() }

            # The clients reach Ceph and the S3 Control stand-in through counting relays; the stand-in reads Ceph through one of its own.
            $clientRelay = [S3Replication.Bench.CountingRelay]::new($server.Port)
            $standInRelay = [S3Replication.Bench.CountingRelay]::new($server.Port)
            $control = Start-S3ControlStandIn -S3Endpoint $standInRelay.Endpoint -AccessKey $server.AccessKey -SecretKey $server.SecretKey -Folder (Join-Path $folder 's3control')
            $controlRelay = [S3Replication.Bench.CountingRelay]::new($control.Port)
            try {
                Set-BenchProfileFile (Join-Path $folder 'aws') ([ordered]@{ verify = @{ Endpoint = $clientRelay.Endpoint; AccessKey = $server.AccessKey; SecretKey = $server.SecretKey } })
                $env:AWS_ENDPOINT_URL_S3_CONTROL = $controlRelay.Endpoint
                $rcloneEnvironment = @{ RCLONE_CONFIG_VERIFY_TYPE = 's3'; RCLONE_CONFIG_VERIFY_PROVIDER = 'Ceph'; RCLONE_CONFIG_VERIFY_ENDPOINT = $clientRelay.Endpoint
                    RCLONE_CONFIG_VERIFY_ACCESS_KEY_ID = $server.AccessKey; RCLONE_CONFIG_VERIFY_SECRET_ACCESS_KEY = $server.SecretKey
                    RCLONE_CONFIG_VERIFY_FORCE_PATH_STYLE = 'true'; RCLONE_CONFIG_VERIFY_REGION = 'us-east-1'; AWS_CA_BUNDLE = $null }   # rclone 1.60 refuses to start with AWS_CA_BUNDLE set
                # One tool's run, with what it downloaded and uploaded, and what the stand-in read and computed meanwhile.
                $counted = { param([scriptblock] $Tool)
                    $down = $clientRelay.BytesToClient + $controlRelay.BytesToClient; $up = $clientRelay.BytesToServer + $controlRelay.BytesToServer
                    $standInRead = $standInRelay.BytesToClient; $standInCpu = Get-ProcessCpuMs $control.Process.Id
                    $run = & $Tool
                    $run | Add-Member Downloaded ($clientRelay.BytesToClient + $controlRelay.BytesToClient - $down)
                    $run | Add-Member Uploaded ($clientRelay.BytesToServer + $controlRelay.BytesToServer - $up)
                    $run | Add-Member StandInRead ($standInRelay.BytesToClient - $standInRead)
                    $run | Add-Member StandInCpuSeconds (((Get-ProcessCpuMs $control.Process.Id) - $standInCpu) / 1000)
                    $run
                }
                $equalWanted = $ChecksumObjects - 1
                $compare = {
                    $command = "`$ProgressPreference = 'SilentlyContinue'; Import-Module '$manifest'; `$null = Connect-S3Backup -ProfileName verify $quiet; " +
                        "`$watch = [Diagnostics.Stopwatch]::StartNew(); " +
                        "`$results = @(Compare-S3BackupBucket -SourceBucket source -BackupBucket backup -CompareBy ComputedChecksum -WorkBucket work -RoleArn '$($batchRole.Arn)' " +
                        "-AccountId 111122223333 -IncludeEqual -Confirm:`$false -WarningAction SilentlyContinue -InformationVariable said -InformationAction SilentlyContinue); `$watch.Stop(); " +
                        "@{ Seconds = `$watch.Elapsed.TotalSeconds; Said = [string](`$said | Select-Object -Last 1); " +
                        "Rows = @(`$results | Where-Object State -NE 'Equal' | ForEach-Object { @{ Key = `$_.Key; State = [string]`$_.State; Reason = [string]`$_.Reason } }); " +
                        "Equal = @(`$results | Where-Object State -EQ 'Equal').Count } | ConvertTo-Json -Depth 4 -Compress"
                    $run = Invoke-FreshPwsh $command
                    $rows = @($run.Result.Rows)
                    $found = @($rows | Where-Object { $_.Key -eq $changed -and $_.State -eq 'Different' })
                    $wrong = @($rows | Where-Object Key -NE $changed)
                    [pscustomobject]@{ Seconds = $run.Seconds; CallSeconds = $run.Result.Seconds; CpuSeconds = $run.CpuSeconds; Found = $found.Count -eq 1 -and -not $wrong -and $run.Result.Equal -eq $equalWanted
                        Reported = "$(($rows | ForEach-Object { "$($_.State) ($($_.Reason))" }) -join ', '), $($run.Result.Equal) Equal"; Said = $run.Result.Said }
                }
                $rcloneCheck = {
                    $combined = Join-Path $folder 'rclone.combined'
                    Remove-Item $combined -ErrorAction Ignore
                    $saved = Set-Environment $rcloneEnvironment
                    # rclone check exits 1 when it found differences: that is its answer, not a failure.
                    try { $run = Invoke-PeerProcess $Rclone @('check', 'verify:source', 'verify:backup', '--download', '--combined', $combined, '-q') -AllowedExit 0, 1 }
                    finally { $null = Set-Environment $saved }
                    $lines = @(Get-Content $combined)
                    $differ = @($lines | Where-Object { $_.StartsWith('* ') } | ForEach-Object { $_.Substring(2) })
                    $equal = @($lines | Where-Object { $_.StartsWith('= ') }).Count
                    $others = @($lines | Where-Object { -not ($_.StartsWith('* ') -or $_.StartsWith('= ')) })
                    [pscustomobject]@{ Seconds = $run.Seconds; CpuSeconds = $run.CpuSeconds; Found = ($differ.Count -eq 1 -and $differ[0] -eq $changed -and $equal -eq $equalWanted -and -not $others)
                        Reported = "$($differ.Count) differing ($(if ($differ -contains $changed) { 'the changed object' } else { 'not the changed object' })), $equal equal$(if ($others) { ", $($others.Count) other lines: $($others[0])" })" }
                }
                $awsSync = {
                    $saved = Set-Environment (& $awsEnvironment $server)
                    try { $run = Invoke-PeerProcess $Aws @('s3', 'sync', '--dryrun', 's3://source', 's3://backup', '--endpoint-url', $clientRelay.Endpoint, '--no-progress') }
                    finally { $null = Set-Environment $saved }
                    $copies = @($run.Output | Where-Object { $_ -like '(dryrun) *' })
                    [pscustomobject]@{ Seconds = $run.Seconds; CpuSeconds = $run.CpuSeconds; Found = [bool]($copies | Where-Object { $_ -like "*s3://source/$changed *" })
                        Reported = "$($copies.Count) object(s) to copy$(if ($copies) { ": $($copies[0])" })" }
                }
                $tools = [ordered]@{
                    compare = @{ Name = 'Compare-S3BackupBucket -CompareBy ComputedChecksum (fresh pwsh: import, connect, compare; the S3 Control stand-in computes the CRC64NVME checksums)'; Run = $compare }
                }
                if ($Rclone) { $tools.rclone = @{ Name = "rclone check --download (rclone $rcloneVersion, defaults: 8 checkers)"; Run = $rcloneCheck } }
                if ($Aws) { $tools.aws = @{ Name = "aws s3 sync --dryrun s3://source s3://backup (aws CLI $awsVersion)"; Run = $awsSync } }
                $measured = @{}; foreach ($name in $tools.Keys) { $measured[$name] = [Collections.Generic.List[object]]::new() }
                for ($run = 0; $run -lt $Runs; $run++) {
                    foreach ($name in $tools.Keys) {
                        Write-Step "Verifying the backup (content): $($tools[$name].Name), run $($run + 1) of $Runs"
                        $measured[$name].Add((& $counted $tools[$name].Run))
                    }
                }
                foreach ($name in $tools.Keys) {
                    $all = $measured[$name]
                    $checksumRows.Add([pscustomobject]@{
                        Name = $name; Tool = $tools[$name].Name; Seconds = [double[]]$all.Seconds; CpuSeconds = [double[]]$all.CpuSeconds
                        Found = @($all | Where-Object Found).Count; Reported = (@($all.Reported) | Sort-Object -Unique) -join '; '
                        Downloaded = [double[]]$all.Downloaded; Uploaded = [double[]]$all.Uploaded
                        StandInRead = [double[]]$all.StandInRead; StandInCpuSeconds = [double[]]$all.StandInCpuSeconds
                        CallSeconds = if ($all[0].PSObject.Properties['CallSeconds']) { [double[]]$all.CallSeconds } else { $null }
                        Said = if ($all[0].PSObject.Properties['Said']) { $all[0].Said } else { '' }
                    })
                }
            }
            finally {
                $clientRelay.Dispose(); $controlRelay.Dispose()
                Stop-StandIn $control
                $standInRelay.Dispose()
            }
        }
        finally { Stop-LocalS3 $server }
    }
    finally { $null = Set-Environment $savedEnvironment }

    # --- The section ------------------------------------------------------------------------------------------------------
    $compareRow = $checksumRows | Where-Object Name -EQ 'compare'
    $awsRow = $checksumRows | Where-Object Name -EQ 'aws'
    $objectBytes = Format-Bytes $ChecksumObjectBytes
    @(
        '## Verifying the backup'
        ''
        "Measured by ``build.ps1 Bench`` on $(Get-Date -AsUTC -Format 'yyyy-MM-dd HH:mm') UTC ($([Environment]::ProcessorCount) cores; this section took $([Math]::Round($started.Elapsed.TotalMinutes, 1)) min). " +
            "The two questions an operator asks of the backup, each answered by the module and by the way a runbook would with the aws CLI ($Aws, $awsVersion) or rclone ($rcloneVersion); tools interleaved run by run, $Runs run$(if ($Runs -ne 1) { 's' }) each, median (min–max). " +
            'Each scenario on a freshly started local Ceph server (RGW 16.2), here with `tcp_nodelay=1` on its frontend (unlike the restore section above): the replication stand-in copies objects one request at a time, and without it each copy waits out the ~44 ms stall. Client CPU: the tool''s processes, user + system (the whole process and its children; in session, the call''s own).'
        ''
        '### Is replication working? The replication status of the newest objects'
        ''
        "The source bucket (versioned, with a replication rule to the backup bucket) holds $('{0:N0}' -f $SourceObjects) objects of 1 KiB, written while the replication stand-in (tests/standins/replication.py) ran. " +
            "The $('{0:N0}' -f $older.Count) older ones it copied to the backup ($olderCounts; writing them took $('{0:N0}' -f $writeSeconds) s; the stand-in's copying of $('{0:N0}' -f $copied.Copied) objects, with the 20 of the bucket the in-session row tests first, $('{0:N0}' -f $copySeconds) s); 2 s later the $Sample newest: " +
            "$completedCount replicated, $failedCount it was told to fail (/_standin/fail), $pendingCount written while it was paused, so the $Sample newest are, by the stand-in's own records, **$expectedText**. " +
            "Every tool reaches Ceph through the stand-in's S3 front, which adds x-amz-replication-status to HeadObject answers (Ceph cannot store it) and logs every request (GET /_standin/front): the request counts are the front's, for the tool's run. " +
            "``Test-S3BackupReplication -SourceBucket source -RoleArn <role> -Sample $Sample`` (profile endpoint_url = the front): the cold row is a fresh ``dotnet pwsh`` doing everything, timed from outside; the in-session row times the call alone in a pwsh that has imported, connected and tested another bucket (10-object sample) before. " +
            "The runbook (bench/replication-status-runbook.sh): ``aws s3api list-objects-v2 --query 'sort_by(Contents, &LastModified)[-${Sample}:].Key' --output json`` (the CLI reads every page), then ``aws s3api head-object --query ReplicationStatus`` per key, one process per object."
        ''
        '| tool | seconds | client CPU s | the newest keys read (expected: all) | statuses reported | LIST | HEAD | other requests |'
        '|---|---:|---:|---|---|---:|---:|---|'
        ($replicationRows | ForEach-Object {
            "| $($_.Tool) | $(Format-Range $_.Seconds) | $(Format-Range $_.CpuSeconds) | $($_.Keys) | $(if ($_.Same) { "$($_.Counts) (as expected)" } else { "**$($_.Counts)** (expected: $expectedText)" }) | " +
                "$(Format-Range $_.List '{0:N0}') | $(Format-Range $_.Head '{0:N0}') | $(Format-Range $_.Other '{0:N0}')$(if ($_.OtherText) { ": $($_.OtherText)" }) |"
        })
        ''
        $(foreach ($row in @($replicationRows | Where-Object Outcomes | Select-Object -First 1)) {
            "- What Test-S3BackupReplication said (one record per finding: $($row.Outcomes)): beyond the statuses, it checked the rule, versioning of both buckets, the role's trust and permission policy and the encryption setting (the other requests above); its Sample finding: ``$($row.SampleDetail)``. The runbook reads the statuses only, and leaves the counting to the reader."
        })
        $(foreach ($row in @($replicationRows | Where-Object Outcomes | Select-Object -First 1)) {
            "- LIST requests: the $('{0:N0}' -f $SourceObjects) keys fill $([Math]::Ceiling($SourceObjects / 1000)) pages of 1,000, which the aws CLI reads one after another; Test-S3BackupReplication lists key ranges at the same time (the module's parallel listing, as Compare-S3BackupBucket does), which costs more LIST requests (median $('{0:N0}' -f (Get-MedianValue $row.List)) here) and less waiting for them."
        })
        "- Same answer: $(if (-not @($replicationRows | Where-Object { -not $_.Same })) { "every tool, in every run, read the same $Sample keys (the newest, by the fixture) and reported the same statuses." } else { "**not every tool agreed** (see the table)." })"
        ''
        '### Is the backup''s content the source''s? One object changed, same size'
        ''
        "$ChecksumObjects objects of $objectBytes (random bytes) written to the source bucket, then the same bytes to the backup bucket (so the backup's copies are newer, as replicas are), except one key ($changed) whose backup copy is other random bytes of the same size. " +
            "All are single PUTs, so their ETags are MD5s: the changed object's differ ($($etags -join ' vs ')). Both buckets versioned. " +
            "``Compare-S3BackupBucket -SourceBucket source -BackupBucket backup -CompareBy ComputedChecksum -WorkBucket work -RoleArn <batch role> -AccountId <id> -IncludeEqual -Confirm:`$false`` in a fresh ``dotnet pwsh`` (timed from outside; the compare alone: $(Format-Range $compareRow.CallSeconds) s), its S3 Control requests to the S3 Control stand-in (tests/standins/s3control.py: the jobs run as soon as they are created, since the module creates them with ConfirmationRequired false, and the stand-in reads each object from Ceph and computes its checksum). " +
            "``rclone check verify:source verify:backup --download`` reads both sides' bytes; ``aws s3 sync --dryrun s3://source s3://backup`` compares sizes and modification times."
        "Bytes: every client reached Ceph (and the module the S3 Control stand-in) through a counting TCP relay in the bench's own process, on loopback; **downloaded** is what the servers sent the client over those connections (HTTP headers and bodies), uploaded what it sent them, counted per run. The S3 Control stand-in read Ceph through a relay of its own: what Batch Operations would read inside S3."
        ''
        '| tool | seconds | client CPU s | found the changed object | what it reported | downloaded by the client | uploaded by the client |'
        '|---|---:|---:|---|---|---:|---:|'
        ($checksumRows | ForEach-Object {
            "| $($_.Tool) | $(Format-Range $_.Seconds) | $(Format-Range $_.CpuSeconds) | $(if ($_.Found -eq $Runs) { "**yes** ($Runs of $Runs runs)" } elseif ($_.Found -eq 0) { "**no** (0 of $Runs runs)" } else { "**in $($_.Found) of $Runs runs**" }) | $($_.Reported) | " +
                "$(Format-Range $_.Downloaded '{0:N0}') B ($(Format-Bytes (Get-MedianValue $_.Downloaded))) | $(Format-Range $_.Uploaded '{0:N0}') B ($(Format-Bytes (Get-MedianValue $_.Uploaded))) |"
        })
        ''
        $(if ($compareRow) {
            "- Compare-S3BackupBucket -CompareBy ComputedChecksum: the client downloaded $(Format-Bytes (Get-MedianValue $compareRow.Downloaded)) (listings, job status, the two completion reports) of the $(Format-Bytes (2 * $ChecksumObjects * $ChecksumObjectBytes)) the two buckets hold; the stand-in, doing Batch Operations' part, read $(Format-Bytes (Get-MedianValue $compareRow.StandInRead)) from Ceph and spent $(Format-Range $compareRow.StandInCpuSeconds) s of CPU on it (it computes CRC64NVME in pure Python). Its closing line: ``$($compareRow.Said)``"
        })
        $(if ($awsRow) {
            "- ``aws s3 sync --dryrun`` $(if ($awsRow.Found) { "named the changed object in $($awsRow.Found) of $Runs runs." } else { "**did not find the changed object**: it compares sizes and modification times only, and the backup's copy has the source's size and is newer, so it has nothing to copy. It cannot tell a backup whose bytes differ from one that is right." })"
        })
        '- **The ComputedChecksum wall time is the lab''s, not AWS''s.** The stand-in starts a job the moment it is created and runs its tasks at once, so here both jobs start and finish within the compare''s seconds, most of them the stand-in''s CRC in Python. On AWS a Batch Operations job first goes through New and Preparing (S3 reads the manifest) before it is Ready and runs (S3 User Guide, "Tracking job status and completion reports"), and the Compute checksum operation calculates "asynchronously" ("Checking object integrity for data at rest"); the AWS documents read give no figure for how long a job takes to start or to run, and it is not measured here, so this table says nothing of how long a compare waits for its jobs on AWS. What carries over from this table is what each client downloaded and whether it found the changed object.'
    )
}

Export-ModuleMember -Function Invoke-VerifyBench
