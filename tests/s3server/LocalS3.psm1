#Requires -Version 7.4
<#
    A throw-away single-host Ceph RADOS Gateway on 127.0.0.1 for tests, Demo and Bench: one monitor, one
    memstore OSD (data in RAM) and one radosgw, on free ports, all files under one temp folder, each daemon's
    PID recorded so Stop-LocalS3 (or the next Start-LocalS3, after an interrupted run) can end it.
#>
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$script:RootPrefix = 's3replication-rgw-'
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

function Stop-ProcessTree([int[]] $ProcessId) {
    foreach ($id in $ProcessId) { kill -TERM $id 2>$null }
    $deadline = [DateTime]::UtcNow.AddSeconds(5)
    while ([DateTime]::UtcNow -lt $deadline -and ($ProcessId | Where-Object { Test-Path "/proc/$_" })) { Start-Sleep -Milliseconds 50 }
    foreach ($id in $ProcessId) { if (Test-Path "/proc/$id") { kill -KILL $id 2>$null } }
}

function Stop-StaleLocalS3 {
    # A run that was killed cannot stop its own cluster: its owner process is gone, so end the daemons now.
    foreach ($folder in Get-ChildItem ([System.IO.Path]::GetTempPath()) -Directory -Filter "$script:RootPrefix*" -ErrorAction Ignore) {
        $ownerFile = Join-Path $folder.FullName 'owner.pid'
        $owner = if (Test-Path $ownerFile) { [int](Get-Content $ownerFile) } else { 0 }
        if ($owner -and (Test-Path "/proc/$owner")) { continue }
        $pids = Get-ChildItem $folder.FullName -Filter '*.daemon.pid' -ErrorAction Ignore | ForEach-Object { [int](Get-Content $_.FullName) }
        if ($pids) { Stop-ProcessTree $pids }
        Remove-Item $folder.FullName -Recurse -Force -ErrorAction Ignore
    }
}

function Start-Daemon([string] $Root, [string] $Name, [string] $FilePath, [string[]] $ArgumentList) {
    $process = Start-Process -FilePath $FilePath -ArgumentList $ArgumentList -PassThru `
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
    #>
    [CmdletBinding()]
    param([switch] $NoDelay, [long] $MemoryBytes = 4GB)

    Install-LocalS3Prerequisite
    Stop-StaleLocalS3
    $started = [Diagnostics.Stopwatch]::StartNew()
    $root = Join-Path ([System.IO.Path]::GetTempPath()) ($script:RootPrefix + [Guid]::NewGuid().ToString('N').Substring(0, 12))
    foreach ($sub in 'run', 'log', 'mon', 'osd/ceph-0', 'rgw') { $null = New-Item -ItemType Directory -Force (Join-Path $root $sub) }
    Set-Content (Join-Path $root 'owner.pid') $PID

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
        Root = $root; CephConf = $conf; NoDelay = [bool]$NoDelay; StartSeconds = 0.0
    }
    try {
        $null = Invoke-Ceph monmaptool @('--create', '--addv', 'a', "[v2:127.0.0.1:${monV2},v1:127.0.0.1:${monV1}]", '--fsid', $fsid, "$root/monmap")
        $null = Invoke-Ceph ceph-mon @('--mkfs', '-i', 'a', '--monmap', "$root/monmap", '-c', $conf)
        $null = Start-Daemon $root 'mon' ceph-mon @('-f', '-i', 'a', '-c', $conf)
        $osdUuid = [Guid]::NewGuid().ToString()
        $null = Invoke-Ceph ceph @('-c', $conf, '--connect-timeout', '20', 'osd', 'new', $osdUuid, '0')
        $null = Invoke-Ceph ceph-osd @('--mkfs', '-i', '0', '--osd-uuid', $osdUuid, '-c', $conf)
        $null = Start-Daemon $root 'osd' ceph-osd @('-f', '-i', '0', '-c', $conf)
        Wait-Until { (& ceph -c $conf osd dump 2>$null) -match '^osd\.0 up' } 'the OSD to come up'
        $null = Invoke-Ceph radosgw-admin @('-c', $conf, 'user', 'create', '--uid=tester', '--display-name=tester', "--access-key=$accessKey", "--secret=$secretKey")
        $null = Invoke-Ceph radosgw-admin @('-c', $conf, 'caps', 'add', '--uid=tester', '--caps=roles=*;user-policy=*;users=*;buckets=*')
        $null = Invoke-Ceph radosgw-admin @('-c', $conf, 'sync', 'group', 'create', '--group-id=group1', '--status=allowed')
        $null = Start-Daemon $root 'rgw' radosgw @('-f', '-n', 'client.rgw.a', '-c', $conf)
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
    <# .SYNOPSIS Stops the daemons of a server from Start-LocalS3 by their recorded PIDs and deletes its folder. #>
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)] $Server)
    process {
        $pids = Get-ChildItem $Server.Root -Filter '*.daemon.pid' -ErrorAction Ignore | ForEach-Object { [int](Get-Content $_.FullName) }
        if ($pids) { Stop-ProcessTree $pids }
        Remove-Item $Server.Root -Recurse -Force -ErrorAction Ignore
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

Export-ModuleMember -Function Install-LocalS3Prerequisite, Start-LocalS3, Stop-LocalS3, Stop-StaleLocalS3, Invoke-RgwAdmin,
    New-LocalS3User, New-LocalS3Role, New-LocalS3Client, New-LocalS3Bucket, Write-LocalS3Object
