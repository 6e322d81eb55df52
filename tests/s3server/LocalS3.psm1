#Requires -Version 7.4
<#
    A throw-away single-host Ceph RADOS Gateway on 127.0.0.1 for tests, Demo, Bench and the sandbox: one monitor,
    one memstore OSD (data in RAM) and one radosgw, on free ports, all files under one temp folder, each daemon's
    PID recorded so Stop-LocalS3 (or the next Start-LocalS3, after an interrupted run) can end it. A recorded PID is
    only signalled while it still is that server's daemon: PIDs are reused, and a stale file must never kill another
    process.
#>
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# Servers owned by a running process (tests, Demo, Bench): the next start stops those whose owner has exited.
$script:RootPrefix = 's3replication-rgw-'
# Sandboxes outlive the process that starts them; no cleanup looks for this prefix (nor does the one in older
# checkouts of this file, which only knows the prefix above), so only an explicit stop ends them.
$script:SandboxPrefix = 's3replication-sandbox-'
# The executables Start-LocalS3 runs: a recorded PID whose command line is not one of them is not ours.
$script:DaemonExecutables = 'ceph-mon', 'ceph-osd', 'radosgw'
# The daemons' PID files (<name>.daemon.pid) in the order they are stopped: the monitor last. Signalled all at once,
# the gateway and the OSD spend about 5 s trying to reach a monitor that is already gone; one after the other, 0.3 s.
$script:StopOrder = 'rgw', 'osd', 'mon'
$script:Packages = 'radosgw', 'ceph-mon', 'ceph-osd'

function Install-LocalS3Prerequisite {
    [CmdletBinding()]
    param()
    if (Get-Command radosgw -ErrorAction Ignore) { return }
    $command = "apt-get update && apt-get install -y $($script:Packages -join ' ')"
    if ((id -u) -ne '0') {
        throw "The local S3 server (Ceph RADOS Gateway) is not installed. Install it with: sudo sh -c '$command'"
    }
    Write-Host "Installing the local S3 server from Debian packages: $($script:Packages -join ', ') (about a minute)..."
    $env:DEBIAN_FRONTEND = 'noninteractive'
    & apt-get update -qq *> $null
    & apt-get install -y -qq @script:Packages *> $null
    if ($LASTEXITCODE -ne 0 -or -not (Get-Command radosgw -ErrorAction Ignore)) {
        throw "Installing $($script:Packages -join ', ') failed; run '$command' to see why."
    }
}

function Get-FreeTcpPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    try { $listener.Start(); $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Test-LocalS3Daemon {
    <#
    .SYNOPSIS
        Whether a process is one of the daemons of the server in -Root: its command line runs ceph-mon, ceph-osd or
        radosgw with that server's ceph.conf. False for a PID that has exited, is a zombie, or was reused by another process.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [int] $ProcessId, [Parameter(Mandatory)] [string] $Root)
    # /proc/<pid>/cmdline is the argument vector, NUL-separated; it is empty for a zombie.
    $arguments = @(try { [IO.File]::ReadAllText("/proc/$ProcessId/cmdline").Split([char]0) } catch { <# no such process #> })
    if ($arguments.Count -lt 2) { return $false }
    $executable = [IO.Path]::GetFileName($arguments[0])
    ($script:DaemonExecutables -contains $executable) -and ($arguments -contains (Join-Path $Root 'ceph.conf'))
}

function Get-LocalS3DaemonId([string] $Root) {
    # The PIDs recorded in a server's folder that are still its daemons, gateway first and monitor last (the order to
    # stop them in); a PID file that cannot be read names none.
    $files = Get-ChildItem $Root -Filter '*.daemon.pid' -ErrorAction Ignore | Sort-Object { $script:StopOrder.IndexOf($_.Name.Split('.')[0]) }
    foreach ($file in $files) {
        $recorded = 0
        if ([int]::TryParse((Get-Content $file.FullName -Raw -ErrorAction Ignore), [ref] $recorded) -and (Test-LocalS3Daemon -ProcessId $recorded -Root $Root)) {
            $recorded
        }
    }
}

function Stop-LocalS3Daemon([string] $Root) {
    # One daemon after the other, each TERM, then KILL after 5 s; each signal only to a PID that is (still) one of this
    # server's daemons, checked just before it is sent.
    foreach ($id in Get-LocalS3DaemonId $Root) {
        kill -TERM $id 2>$null
        $deadline = [DateTime]::UtcNow.AddSeconds(5)
        while ([DateTime]::UtcNow -lt $deadline -and (Test-LocalS3Daemon -ProcessId $id -Root $Root)) { Start-Sleep -Milliseconds 20 }
        if (Test-LocalS3Daemon -ProcessId $id -Root $Root) { kill -KILL $id 2>$null }
    }
}

function Stop-StaleLocalS3 {
    <#
    .SYNOPSIS
        Stops the servers in the temp folder whose owner process has exited (a run that was killed cannot stop its own).
        Sandboxes (Start-LocalS3 -Sandbox) have no owner and live under another prefix: they are never touched here.
    #>
    [CmdletBinding()]
    param()
    foreach ($folder in Get-ChildItem ([System.IO.Path]::GetTempPath()) -Directory -Filter "$script:RootPrefix*" -ErrorAction Ignore) {
        $ownerFile = Join-Path $folder.FullName 'owner.pid'
        $owner = if (Test-Path $ownerFile) { [int](Get-Content $ownerFile) } else { 0 }
        if ($owner -and (Test-Path "/proc/$owner")) { continue }
        Stop-LocalS3Daemon $folder.FullName
        Remove-Item $folder.FullName -Recurse -Force -ErrorAction Ignore
    }
}

function Start-Daemon([string] $Root, [string] $Name, [string] $FilePath, [string[]] $ArgumentList, [switch] $OwnSession) {
    # Full paths (PATH may name one program twice, as /bin and /usr/bin), so the daemon's command line names its
    # executable as Test-LocalS3Daemon expects.
    $executable = (Get-Command $FilePath -CommandType Application | Select-Object -First 1).Source
    $start = @{ FilePath = $executable; ArgumentList = $ArgumentList }
    # setsid replaces itself with the daemon (same PID) in a session of its own: a Ctrl+C or hang-up of the terminal
    # the sandbox was started from must not reach a server meant to outlive it.
    if ($OwnSession) {
        $start = @{ FilePath = (Get-Command setsid -CommandType Application | Select-Object -First 1).Source; ArgumentList = @($executable) + $ArgumentList }
    }
    $process = Start-Process @start -PassThru `
        -RedirectStandardOutput (Join-Path $Root "log/$Name.out") -RedirectStandardError (Join-Path $Root "log/$Name.err")
    Set-Content (Join-Path $Root "$Name.daemon.pid") $process.Id
    $process.Id
}

function Invoke-Ceph([string] $Tool, [string[]] $Arguments) {
    $output = & $Tool @Arguments 2>&1
    if ($LASTEXITCODE -ne 0) { throw "$Tool $($Arguments -join ' ') failed: $($output | Select-Object -Last 5 | Out-String)" }
    $output
}

function Wait-Until([scriptblock] $Condition, [string] $What, [double] $Seconds = 30) {
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    while (-not (& $Condition)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out after $Seconds s waiting for $What." }
        Start-Sleep -Milliseconds 50
    }
}

function Test-TcpPort([int] $Port) {
    $client = [System.Net.Sockets.TcpClient]::new()
    try { $client.Connect([System.Net.IPAddress]::Loopback, $Port); $true } catch { $false } finally { $client.Dispose() }
}

function Start-LocalS3 {
    <#
    .SYNOPSIS
        Starts a private Ceph RGW on 127.0.0.1 and returns its endpoint, keys and folder (also in server.json).
    .PARAMETER NoDelay
        Sets tcp_nodelay=1 on the beast frontend (removes a ~44 ms per-request stall at low concurrency).
    .PARAMETER Sandbox
        A server that outlives this process: it has no owner, lives under a folder prefix no cleanup looks for, and
        its daemons run in a session of their own. Only Stop-LocalS3 ends it.
    #>
    [CmdletBinding()]
    param([switch] $NoDelay, [long] $MemoryBytes = 4GB, [switch] $Sandbox)

    Install-LocalS3Prerequisite
    Stop-StaleLocalS3
    $started = [Diagnostics.Stopwatch]::StartNew()
    $prefix = if ($Sandbox) { $script:SandboxPrefix } else { $script:RootPrefix }
    $root = Join-Path ([System.IO.Path]::GetTempPath()) ($prefix + [Guid]::NewGuid().ToString('N').Substring(0, 12))
    foreach ($sub in 'run', 'log', 'mon', 'osd/ceph-0', 'rgw') { $null = New-Item -ItemType Directory -Force (Join-Path $root $sub) }
    # The owner's PID is what tells the stale cleanup that this server is still wanted; a sandbox is wanted until stopped.
    if (-not $Sandbox) { Set-Content (Join-Path $root 'owner.pid') $PID }

    $monV1 = Get-FreeTcpPort; $monV2 = Get-FreeTcpPort; $port = Get-FreeTcpPort
    $fsid = [Guid]::NewGuid().ToString()
    $accessKey = 'S3RTEST' + [Guid]::NewGuid().ToString('N').Substring(0, 13).ToUpperInvariant()
    $secretKey = [Convert]::ToBase64String([Security.Cryptography.RandomNumberGenerator]::GetBytes(30))
    $stsKey = [Guid]::NewGuid().ToString('N').Substring(0, 16)
    $frontend = "beast endpoint=127.0.0.1:$port" + $(if ($NoDelay) { ' tcp_nodelay=1' } else { '' })
    $conf = Join-Path $root 'ceph.conf'
    @"
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:${monV2},v1:127.0.0.1:${monV1}]
public addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc secure
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon max pg per osd = 1000
paxos propose interval = 0.05
paxos min wait = 0.01
run dir = $root/run
log file = $root/log/`$name.log
admin socket = $root/run/`$name.asok
pid file = $root/run/`$name.pid
mon data = $root/mon/`$cluster-`$id
osd data = $root/osd/`$cluster-`$id
[osd.0]
osd objectstore = memstore
memstore device bytes = $MemoryBytes
[client.rgw.a]
rgw frontends = $frontend
rgw s3 auth use sts = true
rgw sts key = $stsKey
rgw enable apis = s3, s3website, admin, sts, iam, notifications
rgw data = $root/rgw
"@ | Set-Content $conf

    $server = [pscustomobject]@{
        Endpoint = "http://127.0.0.1:$port"; Port = $port; AccessKey = $accessKey; SecretKey = $secretKey
        Root = $root; CephConf = $conf; NoDelay = [bool]$NoDelay; Sandbox = [bool]$Sandbox; StartSeconds = 0.0
    }
    try {
        $null = Invoke-Ceph monmaptool @('--create', '--addv', 'a', "[v2:127.0.0.1:${monV2},v1:127.0.0.1:${monV1}]", '--fsid', $fsid, "$root/monmap")
        $null = Invoke-Ceph ceph-mon @('--mkfs', '-i', 'a', '--monmap', "$root/monmap", '-c', $conf)
        $null = Start-Daemon $root 'mon' ceph-mon @('-f', '-i', 'a', '-c', $conf) -OwnSession:$Sandbox
        $osdUuid = [Guid]::NewGuid().ToString()
        $null = Invoke-Ceph ceph @('-c', $conf, '--connect-timeout', '20', 'osd', 'new', $osdUuid, '0')
        $null = Invoke-Ceph ceph-osd @('--mkfs', '-i', '0', '--osd-uuid', $osdUuid, '-c', $conf)
        $null = Start-Daemon $root 'osd' ceph-osd @('-f', '-i', '0', '-c', $conf) -OwnSession:$Sandbox
        Wait-Until { (& ceph -c $conf osd dump 2>$null) -match '^osd\.0 up' } 'the OSD to come up'
        $null = Invoke-Ceph radosgw-admin @('-c', $conf, 'user', 'create', '--uid=tester', '--display-name=tester', "--access-key=$accessKey", "--secret=$secretKey")
        $null = Invoke-Ceph radosgw-admin @('-c', $conf, 'caps', 'add', '--uid=tester', '--caps=roles=*;user-policy=*;users=*;buckets=*')
        $null = Invoke-Ceph radosgw-admin @('-c', $conf, 'sync', 'group', 'create', '--group-id=group1', '--status=allowed')
        $null = Start-Daemon $root 'rgw' radosgw @('-f', '-n', 'client.rgw.a', '-c', $conf) -OwnSession:$Sandbox
        Wait-Until { Test-TcpPort $port } "radosgw to listen on port $port"
    }
    catch {
        $failure = $_
        $logs = Get-ChildItem (Join-Path $root 'log') -File -ErrorAction Ignore | ForEach-Object { "--- $($_.Name)"; Get-Content $_.FullName -Tail 5 } | Out-String
        Stop-LocalS3 -Server $server
        throw "The local S3 server did not start: $failure`n$logs"
    }
    $server.StartSeconds = [Math]::Round($started.Elapsed.TotalSeconds, 2)
    $server | ConvertTo-Json | Set-Content (Join-Path $root 'server.json')
    $server
}

function Stop-LocalS3 {
    <#
    .SYNOPSIS
        Stops the daemons of a server from Start-LocalS3 by their recorded PIDs and deletes its folder. A recorded PID
        that is no longer that server's daemon (it exited and the number was reused) is left alone.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)] $Server)
    process {
        Stop-LocalS3Daemon $Server.Root
        Remove-Item $Server.Root -Recurse -Force -ErrorAction Ignore
    }
}

function Test-LocalS3Running {
    <# .SYNOPSIS Whether every daemon of a server from Start-LocalS3 is still running and its S3 port answers. #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Server)
    $recorded = @(Get-ChildItem $Server.Root -Filter '*.daemon.pid' -ErrorAction Ignore).Count
    # One PID file per daemon executable, each still naming that daemon.
    $recorded -eq $script:DaemonExecutables.Count -and @(Get-LocalS3DaemonId $Server.Root).Count -eq $recorded -and (Test-TcpPort $Server.Port)
}

function Get-LocalS3Sandbox {
    <# .SYNOPSIS The sandboxes (Start-LocalS3 -Sandbox) in the temp folder that finished starting, running or not. #>
    [CmdletBinding()]
    param()
    foreach ($folder in Get-ChildItem ([System.IO.Path]::GetTempPath()) -Directory -Filter "$script:SandboxPrefix*" -ErrorAction Ignore) {
        $serverFile = Join-Path $folder.FullName 'server.json'
        if (Test-Path $serverFile) { Get-Content $serverFile -Raw | ConvertFrom-Json }
    }
}

function Invoke-RgwAdmin {
    <# .SYNOPSIS Runs radosgw-admin against a server from Start-LocalS3 (test fixtures: users, roles, policies). #>
    [CmdletBinding()]
    param([Parameter(Mandatory, Position = 0)] $Server, [Parameter(Mandatory, ValueFromRemainingArguments)] [string[]] $Arguments)
    Invoke-Ceph radosgw-admin (@('-c', $Server.CephConf) + $Arguments)
}

function New-LocalS3User {
    <# .SYNOPSIS Creates an RGW user with fresh keys; returns Name, AccessKey, SecretKey and its IAM ARN. #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Server, [Parameter(Mandatory)] [string] $Name)
    $user = [pscustomobject]@{
        Name      = $Name
        AccessKey = 'S3RUSER' + [Guid]::NewGuid().ToString('N').Substring(0, 13).ToUpperInvariant()
        SecretKey = [Convert]::ToBase64String([Security.Cryptography.RandomNumberGenerator]::GetBytes(30))
        Arn       = "arn:aws:iam:::user/$Name"
    }
    $null = Invoke-RgwAdmin $Server user create "--uid=$Name" "--display-name=$Name" "--access-key=$($user.AccessKey)" "--secret=$($user.SecretKey)"
    $user
}

function New-LocalS3Role {
    <#
    .SYNOPSIS
        Creates an IAM role on the local server that the given principals may assume, allowed the given actions.
    .PARAMETER PolicyDocument
        The role's permission policy as JSON, instead of -AllowedAction on every bucket.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] $Server,
        [Parameter(Mandatory)] [string] $Name,
        [string[]] $TrustedPrincipal = @(),
        [string[]] $TrustedService = @(),
        [string[]] $AllowedAction = @('s3:*'),
        [string] $PolicyDocument
    )
    $principal = [ordered]@{}
    if ($TrustedPrincipal) { $principal.AWS = @($TrustedPrincipal) }
    if ($TrustedService) { $principal.Service = @($TrustedService) }
    $trust = @{ Version = '2012-10-17'; Statement = @(@{ Effect = 'Allow'; Principal = $principal; Action = @('sts:AssumeRole') }) } | ConvertTo-Json -Depth 6 -Compress
    $permissions = if ($PolicyDocument) { $PolicyDocument } else {
        @{ Version = '2012-10-17'; Statement = @(@{ Effect = 'Allow'; Action = @($AllowedAction); Resource = @('arn:aws:s3:::*') }) } | ConvertTo-Json -Depth 6 -Compress
    }
    $null = Invoke-RgwAdmin $Server role create "--role-name=$Name" '--path=/' "--assume-role-policy-doc=$trust"
    $null = Invoke-RgwAdmin $Server role-policy put "--role-name=$Name" "--policy-name=$Name-permissions" "--policy-doc=$permissions"
    [pscustomobject]@{ Name = $Name; Arn = "arn:aws:iam:::role/$Name" }
}

function New-LocalS3Client {
    <#
    .SYNOPSIS
        An AmazonS3Client for fixtures, with the server's admin keys, path-style and when_required checksums.
        Loads the AWS SDK from the published module's dependencies folder (into the default load context).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Server, [Parameter(Mandatory)] [string] $ModulePath, [string] $AccessKey = $Server.AccessKey, [string] $SecretKey = $Server.SecretKey)
    foreach ($assembly in 'AWSSDK.Core.dll', 'AWSSDK.S3.dll') { Add-Type -Path (Join-Path $ModulePath "dependencies/$assembly") }
    $config = [Amazon.S3.AmazonS3Config]::new()
    $config.ServiceURL = $Server.Endpoint
    $config.ForcePathStyle = $true
    $config.AuthenticationRegion = 'us-east-1'
    $config.RequestChecksumCalculation = [Amazon.Runtime.RequestChecksumCalculation]::WHEN_REQUIRED
    $config.ResponseChecksumValidation = [Amazon.Runtime.ResponseChecksumValidation]::WHEN_REQUIRED
    [Amazon.S3.AmazonS3Client]::new([Amazon.Runtime.BasicAWSCredentials]::new($AccessKey, $SecretKey), $config)
}

function New-LocalS3Bucket {
    <# .SYNOPSIS Creates a bucket (versioned with -Versioned) with the server's admin keys. #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Server, [Parameter(Mandatory)] [string] $ModulePath, [Parameter(Mandatory)] [string] $Name, [switch] $Versioned)
    $client = New-LocalS3Client -Server $Server -ModulePath $ModulePath
    try {
        $null = $client.PutBucketAsync($Name).GetAwaiter().GetResult()
        if ($Versioned) {
            $request = [Amazon.S3.Model.PutBucketVersioningRequest]::new()
            $request.BucketName = $Name
            $request.VersioningConfig = [Amazon.S3.Model.S3BucketVersioningConfig]::new()
            $request.VersioningConfig.Status = [Amazon.S3.VersionStatus]::Enabled
            $null = $client.PutBucketVersioningAsync($request).GetAwaiter().GetResult()
        }
    }
    finally { $client.Dispose() }
}

function Write-LocalS3Object {
    <# .SYNOPSIS Writes objects with the given text content (fixtures), with the server's admin keys. #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] $Server, [Parameter(Mandatory)] [string] $ModulePath, [Parameter(Mandatory)] [string] $Bucket,
        [Parameter(Mandatory, ValueFromPipeline)] [string[]] $Key, [string] $Content = 'fixture'
    )
    begin { $client = New-LocalS3Client -Server $Server -ModulePath $ModulePath }
    process {
        foreach ($name in $Key) {
            $request = [Amazon.S3.Model.PutObjectRequest]::new()
            $request.BucketName = $Bucket; $request.Key = $name; $request.ContentBody = $Content
            $null = $client.PutObjectAsync($request).GetAwaiter().GetResult()
        }
    }
    end { $client.Dispose() }
}

Export-ModuleMember -Function Install-LocalS3Prerequisite, Start-LocalS3, Stop-LocalS3, Stop-StaleLocalS3, Test-LocalS3Daemon,
    Test-LocalS3Running, Get-LocalS3Sandbox, Invoke-RgwAdmin, New-LocalS3User, New-LocalS3Role, New-LocalS3Client, New-LocalS3Bucket, Write-LocalS3Object
