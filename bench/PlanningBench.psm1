# The bench's "Planning at scale" section (issue 23): a compare of two synthetic buckets of -Keys keys each, served by
# the listing stand-in (tests/standins/listing.py) with -LatencyMs on every request, by Compare-S3BackupBucket (each run
# in a fresh pwsh, bench/Measure-Compare.ps1) and by its peers (aws s3 sync --dryrun, rclone check) in the same run;
# then the same compare from S3 Inventory files (bench/make_inventory.py) served by a local Ceph server. Every tool's
# findings are checked against the stand-in's own answer (GET /_standin/expected). Returns the section's Markdown lines.
Set-StrictMode -Version Latest

$script:Root = Join-Path $PSScriptRoot '..'
Import-Module (Join-Path $script:Root 'tests/standins/StandIns.psm1')
Import-Module (Join-Path $script:Root 'tests/s3server/LocalS3.psm1')
Import-Module (Join-Path $PSScriptRoot 'BenchFixture.psm1')

function Reset-StandInStats($StandIn) { $null = Invoke-RestMethod -Method Post -Uri "$($StandIn.Endpoint)/_standin/reset-stats" -NoProxy }
function Get-StandInStats($StandIn) { Invoke-RestMethod -Uri "$($StandIn.Endpoint)/_standin/stats" -NoProxy }
function Set-StandInLatency($StandIn, [double] $Milliseconds) {
    $null = Invoke-RestMethod -Method Post -Uri "$($StandIn.Endpoint)/_standin/latency" -NoProxy -ContentType 'application/json' -Body (@{ ms = $Milliseconds } | ConvertTo-Json)
}

# The stand-in's own answer, as key sets per state.
function Get-Expected($StandIn) {
    $answer = Invoke-RestMethod -Uri "$($StandIn.Endpoint)/_standin/expected?backup=backup&source=source" -NoProxy
    [pscustomobject]@{
        Counts = $answer.Counts
        MissingInSource = [Collections.Generic.HashSet[string]]::new([string[]]@($answer.MissingInSource), [StringComparer]::Ordinal)
        MissingInBackup = [Collections.Generic.HashSet[string]]::new([string[]]@($answer.MissingInBackup), [StringComparer]::Ordinal)
        Different = [Collections.Generic.HashSet[string]]::new([string[]]@($answer.Different | ForEach-Object Key), [StringComparer]::Ordinal)
        SizeDiffers = [Collections.Generic.HashSet[string]]::new([string[]]@($answer.Different | Where-Object Reason -eq SizeDiffers | ForEach-Object Key), [StringComparer]::Ordinal)
        SameSize = [Collections.Generic.HashSet[string]]::new([string[]]@($answer.Different | Where-Object Reason -ne SizeDiffers | ForEach-Object Key), [StringComparer]::Ordinal)
    }
}

# How a tool's findings (key sets per state; $null for a state it does not report) match the expected ones: Exact, and
# a line such as "MissingInSource 250/250, MissingInBackup 250/250, Different 250/500 (missed: the 250 same-size changes)".
function Test-Findings($Expected, [hashtable] $Found, $EqualCount = $null) {
    $parts = @(); $exact = $true
    foreach ($state in 'MissingInSource', 'MissingInBackup', 'Different') {
        $want = $Expected.$state
        if ($null -eq $Found[$state]) { $parts += "$state not reported"; $exact = $false; continue }
        $got = $Found[$state]
        $hit = @($want | Where-Object { $got.Contains($_) }).Count
        $extra = @($got | Where-Object { -not $want.Contains($_) }).Count
        $text = "$state $hit/$($want.Count)"
        if ($state -eq 'Different' -and $hit -lt $want.Count) {
            $missedSameSize = @($Expected.SameSize | Where-Object { -not $got.Contains($_) }).Count
            $missedSize = @($Expected.SizeDiffers | Where-Object { -not $got.Contains($_) }).Count
            $text += " (missed: $missedSameSize of the $($Expected.SameSize.Count) same-size changes, $missedSize of the $($Expected.SizeDiffers.Count) size changes)"
        }
        if ($extra) { $text += ", $extra wrongly" }
        if ($hit -ne $want.Count -or $extra) { $exact = $false }
        $parts += $text
    }
    if ($null -ne $EqualCount) {
        $parts += "Equal $EqualCount/$($Expected.Counts.Equal)"
        if ($EqualCount -ne $Expected.Counts.Equal) { $exact = $false }
    }
    [pscustomobject]@{ Exact = $exact; Text = ($parts -join ', ') }
}

function New-KeySet { , [Collections.Generic.HashSet[string]]::new([StringComparer]::Ordinal) }

# The requests the local Ceph server's radosgw logged after byte $From of its log (beast's access lines), counted by
# method, bucket, object or bucket request, and status: "500,000 HEAD object s3://source 404, 8 GET object s3://inventory 200".
function Get-RgwRequests([string] $Log, [long] $From) {
    $counts = @{}
    $stream = [IO.FileStream]::new($Log, [IO.FileMode]::Open, [IO.FileAccess]::Read, [IO.FileShare]::ReadWrite)
    try {
        $null = $stream.Seek($From, [IO.SeekOrigin]::Begin)
        $reader = [IO.StreamReader]::new($stream)
        $pattern = [regex]'"(?<method>[A-Z]+) /(?<bucket>[^/? ]*)(?<rest>\S*) HTTP/[\d.]+" (?<status>\d{3})'
        while ($null -ne ($line = $reader.ReadLine())) {
            if ($line -notlike '*beast:*') { continue }
            $match = $pattern.Match($line)
            if (-not $match.Success) { continue }
            $bucket = $match.Groups['bucket'].Value
            $kind = if (-not $bucket) { 'service' } elseif ($match.Groups['rest'].Value -match '^/[^?]') { 'object' } else { 'bucket' }
            $name = "$($match.Groups['method'].Value) $kind$(if ($bucket) { " s3://$bucket" }) $($match.Groups['status'].Value)"
            $counts[$name] = 1 + ($counts[$name] ?? 0)
        }
    }
    finally { $stream.Dispose() }
    ($counts.GetEnumerator() | Sort-Object Value -Descending | ForEach-Object { '{0:N0} {1}' -f $_.Value, $_.Key }) -join ', '
}

# One compare by the module in a fresh pwsh: the figures of bench/Measure-Compare.ps1, its findings against the expected
# ones, and the requests it made (the stand-in's counts, or those the local Ceph server logged).
function Invoke-OurCompare {
    param([string] $Manifest, [string] $ProfileName, [string] $SourceProfileName, [string] $Folder, $Expected, $StandIn, [string] $BackupInventory,
        [string] $SourceInventory, [string] $RgwLog)
    $name = [Guid]::NewGuid().ToString('N').Substring(0, 8)
    $outFile = Join-Path $Folder "compare-$name.json"; $rowsFile = Join-Path $Folder "compare-$name.rows"
    $arguments = @('-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot 'Measure-Compare.ps1'), '-ModuleManifest', $Manifest, '-ProfileName', $ProfileName,
        '-BackupBucket', 'backup', '-SourceBucket', 'source', '-OutFile', $outFile, '-RowsFile', $rowsFile)
    if ($SourceProfileName) { $arguments += '-SourceProfileName', $SourceProfileName }
    if ($BackupInventory) { $arguments += '-BackupInventory', $BackupInventory }
    if ($SourceInventory) { $arguments += '-SourceInventory', $SourceInventory }
    if ($StandIn) { Reset-StandInStats $StandIn }
    $logFrom = if ($RgwLog) { (Get-Item $RgwLog).Length }
    & dotnet pwsh @arguments | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "The compare in a fresh pwsh failed (exit code $LASTEXITCODE)." }
    $stats = if ($StandIn) { Get-StandInStats $StandIn }
    $run = Get-Content -LiteralPath $outFile -Raw | ConvertFrom-Json
    $found = @{ MissingInSource = (New-KeySet); MissingInBackup = (New-KeySet); Different = (New-KeySet) }
    $reasons = @{}
    foreach ($line in [IO.File]::ReadLines($rowsFile)) {
        $state, $reason, $key = $line.Split("`t", 3)
        if ($found.ContainsKey($state)) { $null = $found[$state].Add($key) }
        if ($state -eq 'Different') { $reasons[$reason] = 1 + ($reasons[$reason] ?? 0) }
    }
    Remove-Item -LiteralPath $outFile, $rowsFile
    $equal = if ($run.Counts.PSObject.Properties['Equal']) { [long]$run.Counts.Equal } else { 0 }
    $check = Test-Findings $Expected $found $equal
    # Errors would be rows missing from the result: the compare is not exact with any.
    if (@($run.Errors).Count) { $check = [pscustomobject]@{ Exact = $false; Text = "$($check.Text); $(@($run.Errors).Count) errors: $(@($run.Errors)[0])" } }
    $requests = @()
    if ($stats) {
        $requests += '{0:N0} LIST pages' -f [long]$stats.Pages
        foreach ($operation in $stats.Requests.PSObject.Properties | Where-Object Name -notin 'ListObjectsV2', 'ListObjects') { $requests += "$($operation.Value) $($operation.Name)" }
        $requests += "at most $($stats.MaxConcurrent) in flight; stand-in CPU $('{0:N1}' -f [double]$stats.ProcessCpuSeconds) s"
    }
    if ($RgwLog) { $requests += "on the Ceph server: $(Get-RgwRequests $RgwLog $logFrom)" }
    [pscustomobject]@{
        Seconds = $run.Seconds; CpuSeconds = $run.CpuSeconds
        WorkingSetBeforeMB = $run.WorkingSetBeforeMB; WorkingSetAfterMB = $run.WorkingSetAfterMB; PeakWorkingSetMB = $run.PeakWorkingSetMB
        GrowthMB = $run.PeakWorkingSetMB - $run.WorkingSetBeforeMB
        ManagedBeforeMB = $run.ManagedBeforeMB; ManagedAfterMB = $run.ManagedAfterMB; PeakManagedGrowthMB = $run.PeakManagedMB - $run.ManagedBeforeMB
        Gen2Collections = $run.Gen2Collections
        Exact = $check.Exact; Findings = $check.Text
        Reasons = (($reasons.GetEnumerator() | Sort-Object Name | ForEach-Object { "$($_.Value) $($_.Name)" }) -join ', ')
        Pages = if ($stats) { [long]$stats.Pages } else { 0 }
        Heads = if ($stats -and $stats.Requests.PSObject.Properties['HeadObject']) { [long]$stats.Requests.HeadObject } else { 0 }
        RequestText = $requests -join '; '
        Warnings = @($run.Warnings); Verbose = @($run.Verbose)
    }
}

# A peer as a child process under a timeout: wall time, its CPU time and peak RSS (/usr/bin/time), its exit code, the
# stand-in's counts. A timed-out run is a result ("did not finish in N s"), not a failure of the bench.
function Invoke-PeerCommand([string] $Folder, [int] $TimeoutSeconds, $StandIn, [string] $OutputFile, [string] $FilePath, [string[]] $ArgumentList) {
    $timeFile = Join-Path $Folder 'peer.time'
    Remove-Item $timeFile -ErrorAction Ignore
    Reset-StandInStats $StandIn
    $watch = [Diagnostics.Stopwatch]::StartNew()
    & /usr/bin/time -o $timeFile -f '%U %S %M' timeout -k 10 $TimeoutSeconds $FilePath @ArgumentList > $OutputFile 2> "$OutputFile.err"
    $exit = $LASTEXITCODE
    $seconds = $watch.Elapsed.TotalSeconds
    $stats = Get-StandInStats $StandIn
    # /usr/bin/time writes "Command exited with non-zero status N" first when the command failed.
    $user, $system, $maxKb = [double[]]((Get-Content $timeFile | Select-Object -Last 1) -split ' ')
    [pscustomobject]@{
        Seconds = $seconds; ExitCode = $exit; TimedOut = $exit -eq 124 -or $exit -eq 137
        CpuSeconds = $user + $system; PeakRssMB = $maxKb * 1024 / 1e6
        Pages = [long]$stats.Pages; MaxConcurrent = [long]$stats.MaxConcurrent; Requests = $stats.Requests
        ErrorText = (Get-Content "$OutputFile.err" -Tail 3 -ErrorAction Ignore) -join ' '
    }
}

# aws s3 sync --dryrun --delete s3://backup s3://source: "(dryrun) copy:" lines are keys it would restore (missing in
# the source, or differing by size or a newer backup), "(dryrun) delete:" lines keys missing in the backup.
function Invoke-AwsPeer([string] $Aws, [string] $Folder, [int] $TimeoutSeconds, $StandIn, $Expected) {
    $output = Join-Path $Folder 'aws.out'
    $saved = Set-Environment @{ AWS_ACCESS_KEY_ID = 'AKIDPLANNINGBENCH'; AWS_SECRET_ACCESS_KEY = 'not-checked'; AWS_DEFAULT_REGION = 'us-east-1'; AWS_CONFIG_FILE = '/nonexistent'
        AWS_SHARED_CREDENTIALS_FILE = '/nonexistent'; AWS_CA_BUNDLE = $null; AWS_PROFILE = $null }
    try {
        $run = Invoke-PeerCommand $Folder $TimeoutSeconds $StandIn $output $Aws @('s3', 'sync', '--dryrun', '--delete', 's3://backup', 's3://source',
            '--endpoint-url', $StandIn.Endpoint, '--no-progress', '--only-show-errors')
    }
    finally { $null = Set-Environment $saved }
    $copies = New-KeySet; $deletes = New-KeySet
    foreach ($line in [IO.File]::ReadLines($output)) {
        if ($line -match '^\(dryrun\) copy: s3://backup/(.*) to s3://source/\1$') { $null = $copies.Add($Matches[1]) }
        elseif ($line -match '^\(dryrun\) delete: s3://source/(.*)$') { $null = $deletes.Add($Matches[1]) }
    }
    # A copy is either a key missing in the source or a differing one: split them by what the stand-in says is missing.
    $missing = New-KeySet; $different = New-KeySet
    foreach ($key in $copies) { if ($Expected.MissingInSource.Contains($key)) { $null = $missing.Add($key) } else { $null = $different.Add($key) } }
    $run | Add-Member Check (Test-Findings $Expected @{ MissingInSource = $missing; MissingInBackup = $deletes; Different = $different }) -PassThru
}

# rclone check --combined: "+ key" only in the backup (missing in the source), "- key" only in the source, "* key"
# differing (size, then MD5, which rclone reads from an S3 ETag of 32 hex digits), "= key" equal, "! key" an error.
function Invoke-RclonePeer([string] $Rclone, [string] $Folder, [int] $TimeoutSeconds, $StandIn, $Expected, [string[]] $Options) {
    $combined = Join-Path $Folder 'rclone.combined'
    Remove-Item $combined -ErrorAction Ignore
    $saved = Set-Environment @{ RCLONE_CONFIG_STANDIN_TYPE = 's3'; RCLONE_CONFIG_STANDIN_PROVIDER = 'Other'; RCLONE_CONFIG_STANDIN_ENDPOINT = $StandIn.Endpoint
        RCLONE_CONFIG_STANDIN_ACCESS_KEY_ID = 'AKIDPLANNINGBENCH'; RCLONE_CONFIG_STANDIN_SECRET_ACCESS_KEY = 'not-checked'
        RCLONE_CONFIG_STANDIN_FORCE_PATH_STYLE = 'true'; RCLONE_CONFIG_STANDIN_REGION = 'us-east-1'; AWS_CA_BUNDLE = $null }   # rclone 1.60 refuses to start with AWS_CA_BUNDLE set
    try {
        $run = Invoke-PeerCommand $Folder $TimeoutSeconds $StandIn (Join-Path $Folder 'rclone.out') $Rclone (@('check', 'standin:backup', 'standin:source', '--combined', $combined, '-q') + $Options)
    }
    finally { $null = Set-Environment $saved }
    $found = @{ MissingInSource = (New-KeySet); MissingInBackup = (New-KeySet); Different = (New-KeySet) }
    $equal = 0; $errors = 0
    if (Test-Path $combined) {
        foreach ($line in [IO.File]::ReadLines($combined)) {
            switch ($line[0]) {
                '=' { $equal++ }
                '+' { $null = $found.MissingInSource.Add($line.Substring(2)) }
                '-' { $null = $found.MissingInBackup.Add($line.Substring(2)) }
                '*' { $null = $found.Different.Add($line.Substring(2)) }
                '!' { $errors++ }
            }
        }
    }
    $check = Test-Findings $Expected $found $equal
    if ($errors) { $check = [pscustomobject]@{ Exact = $false; Text = "$($check.Text), $errors errors" } }
    # rclone check exits 1 when it found differences: that is its answer, not a failure.
    if ($run.ExitCode -notin 0, 1 -and -not $run.TimedOut) { $check = [pscustomobject]@{ Exact = $false; Text = "failed (exit code $($run.ExitCode)): $($run.ErrorText)" } }
    $run | Add-Member Check $check -PassThru
}

function Get-MedianValue([double[]] $Values) { $sorted = @($Values | Sort-Object); $sorted[[int][Math]::Floor(($sorted.Count - 1) / 2)] }
function Format-Seconds([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    if ($sorted.Count -eq 1) { '{0:N1}' -f $sorted[0] } else { '{0:N1} ({1:N1}–{2:N1})' -f (Get-MedianValue $sorted), $sorted[0], $sorted[-1] }
}
function Format-Verdict([bool] $Met) { if ($Met) { 'met' } else { 'NOT met' } }

<#
.SYNOPSIS
    Measures the planning-at-scale section and returns its Markdown lines (a "## Planning at scale" section).
#>
function Invoke-PlanningBench {
    param(
        [Parameter(Mandatory)] [string] $ModulePath,
        [int] $Runs = 3,
        [int] $Keys = 500000,
        [int] $Differences = 1000,
        [double] $LatencyMs = 100,
        [int] $PeerTimeoutSeconds = 900,
        [string] $Aws,
        [string] $Rclone,
        # Keys per side of the smaller run for a peer that did not finish at -Keys.
        [int] $SmallKeys = 50000,
        [int] $InventoryFiles = 4
    )
    $ModulePath = (Resolve-Path $ModulePath).Path
    $manifest = Join-Path $ModulePath 'S3Replication.psd1'
    $folder = Join-Path $script:Root 'out/bench-planning'
    if (Test-Path $folder) { Remove-Item $folder -Recurse -Force }
    $null = New-Item -ItemType Directory -Force $folder
    $savedConfig = $env:AWS_CONFIG_FILE; $savedCredentials = $env:AWS_SHARED_CREDENTIALS_FILE
    $started = [Diagnostics.Stopwatch]::StartNew()
    $rows = [Collections.Generic.List[object]]::new()     # the table: one per tool and shape
    $ourRuns = [Collections.Generic.List[object]]::new()  # ours, per run, for the memory table
    $notes = [Collections.Generic.List[string]]::new()
    $profiles = [ordered]@{}
    $awsVersion = if ($Aws) { ((& $Aws --version) -split ' ')[0] -replace '^aws-cli/', '' }
    $rcloneVersion = if ($Rclone) { ((& $Rclone version | Select-Object -First 1) -split ' ')[1] }
    # One row of the table per tool and scenario.
    $addRow = { param($Scenario, $Shape, $Ideal, $SeqPages, $Tool, [double[]] $Seconds, $Pages, $Cpu, $Rss, $Growth, $Findings, $Exact, $TimedOut = $false)
        $rows.Add([pscustomobject]@{ Scenario = $Scenario; Shape = $Shape; Tool = $Tool; Seconds = $Seconds; Ideal = $Ideal; Pages = $Pages; Cpu = $Cpu; Rss = $Rss
            Growth = $Growth; Findings = $Findings; Exact = $Exact; TimedOut = $TimedOut; SeqPages = $SeqPages }) }
    # The peers named (aws, or rclone's option sets) on one stand-in; returns the ones that did not finish.
    $measurePeers = { param($StandIn, $Expected, $Scenario, $Shape, $Ideal, $SeqPages, [object[]] $Peers)
        foreach ($peer in $Peers) {
            Write-Step "Planning at scale ($Scenario): $($peer.Name) (timeout $PeerTimeoutSeconds s)"
            if ($peer.Kind -eq 'aws') {
                $run = Invoke-AwsPeer $Aws $folder $PeerTimeoutSeconds $StandIn $Expected
                $tool = "$($peer.Name) (aws CLI $awsVersion)"
            }
            else {
                $run = Invoke-RclonePeer $Rclone $folder $PeerTimeoutSeconds $StandIn $Expected $peer.Options
                $tool = "$($peer.Name) (rclone $rcloneVersion)"
            }
            $findings = $run.Check.Text
            if ($run.TimedOut) {
                # How far it got, and at that rate how long the whole would take: rclone's folder walk needs the pages its
                # 64-checker run read (the same walk), a sequential lister those of both sides.
                $walk = $rows | Where-Object { $_.Scenario -eq $Scenario -and $_.Tool -like 'rclone check --checkers 64*' -and -not $_.TimedOut } | Select-Object -First 1
                $folderWalk = $peer.Kind -eq 'rclone' -and $peer.Options -notcontains '--fast-list'
                $needed, $by = if ($folderWalk -and $walk) { $walk.Pages, 'rclone check --checkers 64 read' } elseif ($folderWalk) { 0, '' } else { (2 * $SeqPages), 'both sides hold' }
                $findings = "did not finish in $PeerTimeoutSeconds s: $('{0:N0}' -f $run.Pages) LIST pages" +
                    $(if ($needed -and $run.Pages -and $needed -gt $run.Pages) { " of the $('{0:N0}' -f $needed) $by, so about $('{0:N0}' -f ($run.Seconds * $needed / $run.Pages)) s at that rate" })
            }
            & $addRow $Scenario $Shape $Ideal $SeqPages $tool @($run.Seconds) $run.Pages $run.CpuSeconds $run.PeakRssMB $null $findings $run.Check.Exact $run.TimedOut
            if ($run.TimedOut) { $peer }
        }
    }
    # Ours, up to $Count times in fresh processes, as one row; every run also goes to the run-by-run table. $Compare:
    # Invoke-OurCompare's parameters beyond the manifest, folder and expected answer. With $StopWhenInexact, a run that is
    # not exact is not repeated (its figures describe a wrong answer).
    $measureOurs = { param($At, [hashtable] $Compare, [int] $Count, [string] $Source, [string] $Tool, [switch] $StopWhenInexact)
        $measured = @()
        for ($run = 0; $run -lt $Count; $run++) {
            Write-Step "Planning at scale ($($At.Scenario)): $Tool, run $($run + 1) of $Count"
            $result = Invoke-OurCompare -Manifest $manifest -Folder $folder -Expected $At.Expected @Compare
            $result | Add-Member Shape $At.Shape; $result | Add-Member Source $Source; $result | Add-Member Run ($run + 1); $result | Add-Member Scenario $At.Scenario
            $measured += $result; $ourRuns.Add($result)
            if ($StopWhenInexact -and -not $result.Exact) { break }
        }
        & $addRow $At.Scenario $At.Shape $At.Ideal $At.SeqPages $Tool ($measured.Seconds) (Get-MedianValue $measured.Pages) (Get-MedianValue $measured.CpuSeconds) `
            (Get-MedianValue $measured.PeakWorkingSetMB) (Get-MedianValue $measured.GrowthMB) `
            (($measured | ForEach-Object { if ($_.Exact) { "exact ($($_.Reasons))" } else { $_.Findings } } | Sort-Object -Unique) -join '; ') `
            (-not ($measured | Where-Object { -not $_.Exact }))
    }
    $listingTool = 'S3Replication Compare-S3BackupBucket (fresh pwsh, the compare alone)'
    # A stand-in of two buckets of $Count keys in $Shape; the scenario's name, its expected answer and its sequential ideal.
    $startStandIn = { param([int] $Count, [string] $Shape)
        Write-Step "Planning at scale: starting the listing stand-in ($Shape, 2 x $Count keys, $Differences differences, $LatencyMs ms a request)"
        $standIn = Start-ListingStandIn -Bucket "backup=$Count", "source=$Count" -Differences $Differences -LatencyMs $LatencyMs -Shape $Shape -Folder (Join-Path $folder "standin-$Shape-$Count")
        $expected = Get-Expected $standIn
        $seqPages = [Math]::Ceiling([Math]::Max([long]$expected.Counts.BackupKeys, [long]$expected.Counts.SourceKeys) / 1000)
        $profiles["standin-$Shape-$Count"] = @{ Endpoint = $standIn.Endpoint; AccessKey = 'AKIDPLANNINGBENCH'; SecretKey = 'not-checked' }
        Set-BenchProfileFile (Join-Path $folder 'aws') $profiles
        [pscustomobject]@{ StandIn = $standIn; Expected = $expected; SeqPages = $seqPages; Ideal = $seqPages * $LatencyMs / 1000
            Scenario = "$Shape, 2 × $('{0:N0}' -f $Count) keys, $LatencyMs ms a request"; Shape = $Shape; ProfileName = "standin-$Shape-$Count" }
    }

    $peers = @()
    if ($Aws) { $peers += @{ Kind = 'aws'; Name = 'aws s3 sync --dryrun --delete' } }
    if ($Rclone) {
        $peers += @{ Kind = 'rclone'; Name = 'rclone check --fast-list'; Options = @('--fast-list') }, @{ Kind = 'rclone'; Name = 'rclone check --checkers 64'; Options = @('--checkers', '64') },
            @{ Kind = 'rclone'; Name = 'rclone check --checkers 8'; Options = @('--checkers', '8') }
    }
    $unfinished = @()
    try {
        # --- Hierarchy: ours, every peer, then the same compare from inventory files --------------------------------------
        $at = & $startStandIn $Keys 'hierarchy'
        $mainScenario = $at.Scenario
        try {
            & $measureOurs $at @{ ProfileName = $at.ProfileName; StandIn = $at.StandIn } $Runs 'listing' $listingTool
            $unfinished = @(& $measurePeers $at.StandIn $at.Expected $at.Scenario $at.Shape $at.Ideal $at.SeqPages $peers)

            Write-Step 'Planning at scale: starting a local S3 server for the inventory deliveries'
            $server = Start-LocalS3
            try {
                foreach ($bucket in 'backup', 'source', 'inventory') { New-LocalS3Bucket -Server $server -ModulePath $ModulePath -Name $bucket }
                $profiles['ceph'] = @{ Endpoint = $server.Endpoint; AccessKey = $server.AccessKey; SecretKey = $server.SecretKey }
                Set-BenchProfileFile (Join-Path $folder 'aws') $profiles
                Set-StandInLatency $at.StandIn 0
                Write-Step "Planning at scale: S3 Inventory deliveries of s3://backup and s3://source ($InventoryFiles CSV files each, shuffled), listed from the stand-in with boto3"
                $savedKeys = Set-Environment @{ S3_ACCESS_KEY = $server.AccessKey; S3_SECRET_KEY = $server.SecretKey; AWS_PROFILE = $null }
                try {
                    # Both at once: each is a python process listing one bucket.
                    $makers = foreach ($bucket in 'backup', 'source') {
                        Start-Process python3 -PassThru -RedirectStandardOutput (Join-Path $folder "inventory-$bucket.json") -RedirectStandardError (Join-Path $folder "inventory-$bucket.err") `
                            -ArgumentList (Join-Path $PSScriptRoot 'make_inventory.py'), '--list-endpoint', $at.StandIn.Endpoint, '--bucket', $bucket, '--s3-endpoint', $server.Endpoint,
                            '--inventory-bucket', 'inventory', '--files', $InventoryFiles
                    }
                    $makers | Wait-Process
                }
                finally { $null = Set-Environment $savedKeys }
                $deliveries = @{}
                foreach ($bucket in 'backup', 'source') {
                    $deliveries[$bucket] = Get-Content (Join-Path $folder "inventory-$bucket.json") -Raw -ErrorAction Ignore | ConvertFrom-Json
                    if (-not $deliveries[$bucket]) { throw "make_inventory.py failed for s3://${bucket}: $(Get-Content (Join-Path $folder "inventory-$bucket.err") -Raw)" }
                }
                # With no latency, how fast the compare can plan at all on this machine: the client's (and the stand-in's) CPU.
                $floor = $at.PSObject.Copy()
                $floor.Scenario = "hierarchy, 2 × $('{0:N0}' -f $Keys) keys, no latency"; $floor.Ideal = 0
                & $measureOurs $floor @{ ProfileName = $at.ProfileName; StandIn = $at.StandIn } 1 'listing' $listingTool
                Set-StandInLatency $at.StandIn $LatencyMs
                $rgwLog = Join-Path $server.Root 'log/client.rgw.a.log'
                $inventoryText = "CSV, $($deliveries.backup.Files) + $($deliveries.source.Files) files, $('{0:N1}' -f (($deliveries.backup.Bytes + $deliveries.source.Bytes) / 1e6)) MB gzip"

                # The backup from its inventory, the source listed as before (its own session, on the stand-in): no source
                # side read from an inventory, so nothing is read again from the source.
                & $measureOurs $at @{ ProfileName = 'ceph'; SourceProfileName = $at.ProfileName; StandIn = $at.StandIn; BackupInventory = $deliveries.backup.Manifest; RgwLog = $rgwLog } `
                    $Runs 'backup: inventory; source: listing' "S3Replication Compare-S3BackupBucket -BackupInventory (the backup's $($deliveries.backup.Files) CSV files on the local Ceph server), the source listed from the stand-in (-SourceSession)"
                Stop-StandIn $at.StandIn
                # Both sides from their inventories, as issue 23 asks: one session, the local Ceph server's.
                & $measureOurs $at @{ ProfileName = 'ceph'; BackupInventory = $deliveries.backup.Manifest; SourceInventory = $deliveries.source.Manifest; RgwLog = $rgwLog } `
                    $Runs 'inventory (both)' "S3Replication Compare-S3BackupBucket -BackupInventory -SourceInventory ($inventoryText, on the local Ceph server)" -StopWhenInexact
                $notes.Add("Inventory deliveries: made by bench/make_inventory.py (boto3, listing the stand-in at 0 ms, both at once: $($deliveries.backup.ListSeconds) s and $($deliveries.source.ListSeconds) s), $('{0:N0}' -f $deliveries.backup.Records) and $('{0:N0}' -f $deliveries.source.Records) records, each shuffled into $InventoryFiles gzip CSV files in the fileSchema 'Bucket, Key, Size, LastModifiedDate, ETag, StorageClass' (the module sorts them externally: 100,000 records in memory, the rest spilled to temporary files). They are served by a local Ceph server, in which the buckets backup and source exist but are empty: a compare's bucket-level requests and its HEADs of objects go there (404: the same-size changes, whose content a HEAD would settle, are then Different with Reason Unverifiable).")
            }
            finally { Stop-LocalS3 $server }
        }
        finally { Stop-StandIn $at.StandIn }

        # --- Flat: ours and rclone's sequential listing --------------------------------------------------------------------
        $at = & $startStandIn $Keys 'flat'
        try {
            & $measureOurs $at @{ ProfileName = $at.ProfileName; StandIn = $at.StandIn } $Runs 'listing' $listingTool
            $null = & $measurePeers $at.StandIn $at.Expected $at.Scenario $at.Shape $at.Ideal $at.SeqPages @($peers | Where-Object Name -eq 'rclone check --fast-list')
        }
        finally { Stop-StandIn $at.StandIn }

        # --- A peer that did not finish: the same on 2 x $SmallKeys keys -----------------------------------------------
        if ($unfinished) {
            $at = & $startStandIn $SmallKeys 'hierarchy'
            try {
                & $measureOurs $at @{ ProfileName = $at.ProfileName; StandIn = $at.StandIn } 1 'listing' $listingTool
                $null = & $measurePeers $at.StandIn $at.Expected $at.Scenario $at.Shape $at.Ideal $at.SeqPages $unfinished
            }
            finally { Stop-StandIn $at.StandIn }
            $small = @($rows | Where-Object { $_.Scenario -eq $at.Scenario -and $_.Tool -notlike 'S3Replication*' })
            $notes.Add("$(($unfinished | ForEach-Object Name) -join ', ') did not finish 2 × $('{0:N0}' -f $Keys) keys in $PeerTimeoutSeconds s, so it was also run on 2 × $('{0:N0}' -f $SmallKeys) keys (hierarchy), beside one run of ours" +
                $(if ($small | Where-Object TimedOut) { ", and did not finish that either: a folder walk's pages grow with the folders (a folder per instrument, level and day here), not with the keys" }) + '.')
        }
    }
    finally { $env:AWS_CONFIG_FILE = $savedConfig; $env:AWS_SHARED_CREDENTIALS_FILE = $savedCredentials }

    # --- The section ------------------------------------------------------------------------------------------------
    $hierarchy = @($rows | Where-Object Scenario -eq $mainScenario)
    $oursRow = $hierarchy | Where-Object Tool -like 'S3Replication Compare-S3BackupBucket (fresh*' | Select-Object -First 1
    $mixedRow = $hierarchy | Where-Object Tool -like '*-BackupInventory (the backup*' | Select-Object -First 1
    $bothRow = $hierarchy | Where-Object Tool -like '*-BackupInventory -SourceInventory*' | Select-Object -First 1
    $bothRuns = @($ourRuns | Where-Object Source -eq 'inventory (both)')
    $rcloneRows = @($hierarchy | Where-Object { $_.Tool -like 'rclone*' -and -not $_.TimedOut })
    $rcloneBest = $rcloneRows | Sort-Object { Get-MedianValue $_.Seconds } | Select-Object -First 1
    $oursSeconds = Get-MedianValue $oursRow.Seconds
    $ratio = $oursSeconds / $oursRow.Ideal
    $oursListing = @($ourRuns | Where-Object { $_.Source -eq 'listing' -and $_.Scenario -eq $mainScenario })
    $heads = ($oursListing | Select-Object -First 1).Heads
    $rcloneBestText = 'n/a'; $rcloneFactor = 'n/a'; $fasterThanRclone = $false
    if ($rcloneBest) {
        $rcloneSeconds = Get-MedianValue $rcloneBest.Seconds
        $rcloneBestText = '{0}, {1:N1} s' -f ($rcloneBest.Tool -replace ' \(rclone [^)]*\)$', ''), $rcloneSeconds
        $rcloneFactor = '{0:N1}' -f ($rcloneSeconds / $oursSeconds)
        $fasterThanRclone = $oursSeconds -lt $rcloneSeconds
    }
    $lines = @(
        '## Planning at scale'
        ''
        "Measured by ``build.ps1 Bench`` on $(Get-Date -AsUTC -Format 'yyyy-MM-dd HH:mm') UTC ($([Environment]::ProcessorCount) cores; this section took $([Math]::Round($started.Elapsed.TotalMinutes, 1)) min)." +
            ' The listing stand-in (tests/standins/listing.py) serves two buckets of the given keys in S3''s listing wire format, the source differing from the backup in ' +
            "$Differences keys (a quarter each: missing in the source, missing in the backup, changed with the same size, changed in size), and answers every request after $LatencyMs ms (S3's own pages take 0.1–0.3 s)." +
            ' Shapes: hierarchy (imap/<instrument>/<level>/YYYY/MM/DD/..., logs/, spice/, ..., odd keys with spaces, unicode and an emoji); flat (data/obj-NNNNNNN).'
        "Ours: each run a fresh pwsh that imports the module and connects to the stand-in (dummy keys), then times ``Compare-S3BackupBucket -SourceBucket source -BackupBucket backup`` alone, cold (nothing compared in that process before; $Runs run$(if ($Runs -ne 1) { "s" }), median and min–max). Peers once each, under a $PeerTimeoutSeconds s timeout: ``aws s3 sync --dryrun --delete s3://backup s3://source`` ($Aws, aws CLI $awsVersion; ``--delete`` so that it also names the keys missing in the backup) and ``rclone check`` (rclone $rcloneVersion, provider Other, path-style), with --fast-list and with 8 and 64 checkers (in the flat shape only --fast-list: without it rclone lists the one folder page by page all the same)." +
            " One more run of ours with the stand-in answering at once (no latency) shows what planning costs the client itself on this machine." +
            ' From S3 Inventory files: the same compare with `-BackupInventory` (the source listed from the stand-in through a second session, `-SourceSession`), and with `-BackupInventory -SourceInventory`, reading deliveries served by a local Ceph server (see the notes below).'
        "Sequential ideal: the pages of the larger side × the latency ($($oursRow.SeqPages) pages × $($LatencyMs / 1000) s = $($oursRow.Ideal) s): what a lister that reads one page after another needs for one side, with the other side listed at the same time. LIST pages: as the stand-in counted them for that run (both sides; it was reset before each tool). CPU: the compare's own (ours: this process's CPU over the compare; peers: the whole process, user + system). Peak RSS: the process's peak resident set (ours: during the compare; peers: the whole run, /usr/bin/time). Growth: ours' peak resident set during the compare above its working set just before it. Findings: each tool's differences against the stand-in's (GET /_standin/expected), per state, found/expected."
        ''
        '| scenario | tool | seconds | × sequential ideal | LIST pages | CPU s | peak RSS MB | growth MB | findings |'
        '|---|---|---:|---:|---:|---:|---:|---:|---|'
        ($rows | ForEach-Object {
            $median = Get-MedianValue $_.Seconds
            $seconds = if ($_.TimedOut) { "> $PeerTimeoutSeconds (did not finish)" } else { Format-Seconds $_.Seconds }
            $times = if ($_.TimedOut -or -not $_.Ideal) { 'n/a' } else { '{0:N2}' -f ($median / $_.Ideal) }
            "| $($_.Scenario) | $($_.Tool) | $seconds | $times | $('{0:N0}' -f $_.Pages) | $('{0:N1}' -f $_.Cpu) | $('{0:N0}' -f $_.Rss) | $(if ($null -ne $_.Growth) { '{0:N0}' -f $_.Growth } else { '' }) | $(if ($_.Exact -and $_.Findings -like 'exact*') { '**exact**' + ($_.Findings -replace '^exact', '') } elseif ($_.Exact) { '**exact**' } else { $_.Findings }) |"
        })
        ''
        'Ours, run by run (MB = 10⁶ bytes; managed: GC.GetTotalMemory, its peak sampled every 10 ms, garbage included):'
        ''
        '| scenario | plan source | run | seconds | CPU s | working set before → after | peak working set (growth) | managed before → after | peak managed growth | gen-2 GCs | requests | findings |'
        '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|'
        ($ourRuns | ForEach-Object {
            "| $($_.Scenario) | $($_.Source) | $($_.Run) | $('{0:N1}' -f $_.Seconds) | $('{0:N1}' -f $_.CpuSeconds) | $('{0:N0}' -f $_.WorkingSetBeforeMB) → $('{0:N0}' -f $_.WorkingSetAfterMB) | " +
                "$('{0:N0}' -f $_.PeakWorkingSetMB) (+$('{0:N0}' -f $_.GrowthMB)) | $('{0:N0}' -f $_.ManagedBeforeMB) → $('{0:N0}' -f $_.ManagedAfterMB) | $('{0:N0}' -f $_.PeakManagedGrowthMB) | $($_.Gen2Collections) | " +
                "$($_.RequestText) | $(if ($_.Exact) { "exact ($($_.Reasons))" } else { $_.Findings }) |"
        })
        ''
        '### Against the targets (issue 23)'
        ''
        "- Compare of 2 × $('{0:N0}' -f $Keys) keys at $LatencyMs ms a request (hierarchy): ours **$('{0:N1}' -f $oursSeconds) s** = **$('{0:N2}' -f $ratio)×** the sequential ideal of $($oursRow.Ideal) s (target ≤ 0.25: $(Format-Verdict ($ratio -le 0.25)))."
        "- Against rclone's best setting here ($rcloneBestText): ours **$rcloneFactor×** faster (target: faster: $(Format-Verdict $fasterThanRclone))."
        $(foreach ($row in @($rows | Where-Object { $_.Scenario -like '*no latency' } | Select-Object -First 1)) {
            "- Where the time goes: with the stand-in answering at once the same compare takes $('{0:N1}' -f (Get-MedianValue $row.Seconds)) s ($('{0:N1}' -f $row.Cpu) s of CPU on $([Environment]::ProcessorCount) cores, the stand-in's own beside it), against $('{0:N1}' -f $oursSeconds) s at $LatencyMs ms a request: " +
                $(if ($oursSeconds -le 1.25 * (Get-MedianValue $row.Seconds)) { "the listing's round trips are almost all hidden, and the compare is bound by the client's CPU (about $('{0:N0}' -f $oursRow.Pages) LIST pages parsed where $('{0:N0}' -f (2 * $oursRow.SeqPages)) full ones would hold the keys, the merge and the decisions)." }
                  else { "about $('{0:N1}' -f ($oursSeconds - (Get-MedianValue $row.Seconds))) s of it is spent waiting on round trips." })
        })
        "- Memory growth during the compare (peak resident set above the working set just before it, median of $Runs): **$('{0:N0}' -f $oursRow.Growth) MB** (target < 300 MB: $(Format-Verdict ($oursRow.Growth -lt 300))); peak managed-heap growth $('{0:N0}' -f (Get-MedianValue $oursListing.PeakManagedGrowthMB)) MB."
        "- Exact differences: $(if ($oursRow.Exact) { "**every run exact** (the three key sets and the Equal count match the stand-in's; $(($oursListing | Select-Object -First 1).Reasons); $heads HEADs for the same-size changes)" } else { "**NOT exact**: $($oursRow.Findings)" }) (target: exact: $(Format-Verdict $oursRow.Exact))."
        if ($mixedRow) {
            "- From S3 Inventory files, the backup side (its inventory's CSV files read, checked and sorted; no LIST of the backup) with the source listed at the same time: **$(Format-Seconds $mixedRow.Seconds) s**, $('{0:N1}' -f $mixedRow.Cpu) s CPU, memory growth **$('{0:N0}' -f $mixedRow.Growth) MB**, $(if ($mixedRow.Exact) { 'exact' } else { "NOT exact: $($mixedRow.Findings)" })."
        }
        if ($bothRow) {
            $bothFirst = $bothRuns | Select-Object -First 1
            "- From S3 Inventory files, both sides (no LIST request): **$(Format-Seconds $bothRow.Seconds) s**, $('{0:N1}' -f $bothRow.Cpu) s CPU, memory growth **$('{0:N0}' -f $bothRow.Growth) MB**, " +
                $(if ($bothRow.Exact) { 'exact.' } else { "**NOT exact** ($($bothRow.Findings)); $(if ($bothRuns.Count -lt $Runs) { 'measured once, since the answer is wrong; ' })requests $($bothFirst.RequestText). A compare writes nothing, yet each key the backup's inventory names was read again from the source with a HEAD: the source's inventory was not taken as the source, and here the source bucket is empty, so those keys came out MissingInSource. On S3 that is one HEAD per key (10⁸ for a 10⁸-key bucket) where the inventory should need none." })
        }
        $(foreach ($row in @($hierarchy | Where-Object Tool -like 'aws*')) {
            "- ``aws s3 sync --dryrun``: $(if ($row.TimedOut) { "did not finish in $PeerTimeoutSeconds s" } else { "$('{0:N1}' -f (Get-MedianValue $row.Seconds)) s, $($row.Findings) — it compares sizes and modification times only, so a change of the same size in the source (which is newer than the backup's) is not seen" })."
        })
        $(foreach ($note in $notes) { "- $note" })
    )
    $lines
}

Export-ModuleMember -Function Invoke-PlanningBench
