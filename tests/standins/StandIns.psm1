<#
    Starts and stops the second servers the tests use beside the local Ceph server: the credential stand-ins of
    identity_center.py (IAM Identity Center, instance metadata, container credentials), the S3 Control stand-in,
    replication.py (copies new object versions by the buckets' replication rules),
    listing.py (huge synthetic buckets for listing benchmarks) and moto_server.
#>

function Start-PythonServer([string] $Name, [string[]] $ArgumentList, [string] $Folder, [string] $PortFile, [int] $TimeoutSeconds = 30) {
    $null = New-Item -ItemType Directory -Force $Folder
    $process = Start-Process -FilePath python3 -ArgumentList $ArgumentList -PassThru `
        -RedirectStandardOutput (Join-Path $Folder "$Name.out") -RedirectStandardError (Join-Path $Folder "$Name.err")
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (-not (Test-Path $PortFile)) {
        if ($process.HasExited -or [DateTime]::UtcNow -gt $deadline) {
            throw "$Name did not start: $(Get-Content (Join-Path $Folder "$Name.err") -Raw -ErrorAction Ignore)"
        }
        Start-Sleep -Milliseconds 50
    }
    [pscustomobject]@{ Process = $process; Port = [int](Get-Content $PortFile -Raw); Endpoint = "http://127.0.0.1:$([int](Get-Content $PortFile -Raw))" }
}

function Start-IdentityCenterStandIn {
    <#
    .SYNOPSIS
        Starts identity_center.py on a free loopback port; every credential it hands out is the given role, assumed
        at the given STS endpoint with the given user's keys.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $StsEndpoint,
        [Parameter(Mandatory)] $User,
        [Parameter(Mandatory)] [string] $RoleArn,
        [Parameter(Mandatory)] [string] $AccountId,
        [Parameter(Mandatory)] [string] $ContainerToken,
        [Parameter(Mandatory)] [string] $Folder
    )
    $portFile = Join-Path $Folder 'identity-center.port'
    $script = Join-Path $PSScriptRoot 'identity_center.py'
    Start-PythonServer 'identity-center' @($script, '--port-file', $portFile, '--sts-endpoint', $StsEndpoint,
        '--access-key', $User.AccessKey, '--secret-key', $User.SecretKey, '--role-arn', $RoleArn, '--account-id', $AccountId,
        '--container-token', $ContainerToken) $Folder $portFile
}

function Start-S3ControlStandIn {
    <#
    .SYNOPSIS
        Starts s3control.py on a free loopback port: Batch Operations jobs that copy on the given S3 server with the
        given keys.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $S3Endpoint, [Parameter(Mandatory)] [string] $AccessKey, [Parameter(Mandatory)] [string] $SecretKey,
        [Parameter(Mandatory)] [string] $Folder)
    $portFile = Join-Path $Folder 's3control.port'
    Start-PythonServer 's3control' @((Join-Path $PSScriptRoot 's3control.py'), '--port-file', $portFile, '--s3-endpoint', $S3Endpoint,
        '--access-key', $AccessKey, '--secret-key', $SecretKey) $Folder $portFile
}

function Start-ReplicationStandIn {
    <#
    .SYNOPSIS
        Starts replication.py on a free loopback port: it polls the given S3 server's buckets (those the -AccessKey user
        owns) and copies each new object version to the destination of the enabled replication rules that cover it, as S3
        Replication would (the local server stores the rules but never replicates).
    .DESCRIPTION
        Replicas are written with -DestinationAccessKey/-DestinationSecretKey (default: the source keys), so the backup
        bucket may belong to another user. Objects already there at start are not replicated (S3 replicates new objects).
        Control, under the returned Endpoint (JSON): GET /_standin/status?bucket=B&key=K[&versionId=V] (ReplicationStatus
        PENDING, COMPLETED, FAILED, REPLICA or null; the replica's version id and the source's last-modified, which Ceph
        cannot give the replica), GET /_standin/status?bucket=B (all records), POST /_standin/pause and /_standin/resume,
        POST /_standin/fail {"keys": [...]} and /_standin/unfail, POST /_standin/configuration {"bucket": B,
        "configuration": {...}} (the configuration as PUT: Ceph drops DeleteMarkerReplication), POST /_standin/sync (one
        pass now), GET /_standin/log, GET /_standin/front (the S3 front's requests: method, target, status, the
        replication status it added).
        S3Endpoint (S3Port) is the stand-in's S3 front: S3 as the server serves it, every request passed through unchanged
        (signatures made for the front's address stay valid), with x-amz-replication-status added to GetObject and
        HeadObject answers of the versions the stand-in tracks (PENDING, COMPLETED, FAILED; REPLICA on its replicas; no
        header for versions no rule covers), which Ceph cannot store. Point a client at S3Endpoint instead of the server's
        Endpoint to read the replication status as S3 gives it (GetObjectMetadataResponse.ReplicationStatus).
    .EXAMPLE
        $replication = Start-ReplicationStandIn -S3Endpoint $server.Endpoint -AccessKey $server.AccessKey -SecretKey $server.SecretKey -Folder $dir
        Invoke-RestMethod -Method Post "$($replication.Endpoint)/_standin/pause" -NoProxy
        Stop-StandIn $replication
    .EXAMPLE
        $replication = Start-ReplicationStandIn -S3Endpoint $server.Endpoint -AccessKey $server.AccessKey -SecretKey $server.SecretKey -Folder $dir
        $front = [pscustomobject]@{ Endpoint = $replication.S3Endpoint; AccessKey = $server.AccessKey; SecretKey = $server.SecretKey }
        $s3 = New-LocalS3Client -Server $front -ModulePath $ModulePath     # or a profile with endpoint_url = $replication.S3Endpoint
        $s3.GetObjectMetadataAsync('source', 'key').GetAwaiter().GetResult().ReplicationStatus   # PENDING, then COMPLETED
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $S3Endpoint,
        [Parameter(Mandatory)] [string] $AccessKey,
        [Parameter(Mandatory)] [string] $SecretKey,
        [string] $DestinationAccessKey,
        [string] $DestinationSecretKey,
        [int] $IntervalMilliseconds = 300,
        [switch] $Paused,
        [Parameter(Mandatory)] [string] $Folder
    )
    $portFile = Join-Path $Folder 'replication.port'
    $frontFile = Join-Path $Folder 'replication-s3.port'
    Remove-Item $portFile, $frontFile -ErrorAction Ignore
    $arguments = [System.Collections.Generic.List[string]]@((Join-Path $PSScriptRoot 'replication.py'), '--port-file', $portFile,
        '--front-port-file', $frontFile, '--s3-endpoint', $S3Endpoint, '--access-key', $AccessKey, '--secret-key', $SecretKey,
        '--interval-ms', "$IntervalMilliseconds")
    if ($DestinationAccessKey) { $arguments.AddRange([string[]]@('--destination-access-key', $DestinationAccessKey, '--destination-secret-key', $DestinationSecretKey)) }
    if ($Paused) { $arguments.Add('--paused') }
    $server = Start-PythonServer 'replication' $arguments.ToArray() $Folder $portFile
    # The front's port is written before the control port: it is there once the control port is.
    $s3Port = [int](Get-Content $frontFile -Raw)
    $server | Add-Member -NotePropertyName S3Port -NotePropertyValue $s3Port
    $server | Add-Member -NotePropertyName S3Endpoint -NotePropertyValue "http://127.0.0.1:$s3Port"
    $server
}

function Start-ListingStandIn {
    <#
    .SYNOPSIS
        Starts listing.py on a free loopback port: synthetic buckets of up to millions of keys in S3's listing wire format
        (ListObjectsV2, ListObjects, ListObjectVersions, HEAD/GET), every request answered after -LatencyMs.
    .DESCRIPTION
        Each -Bucket is NAME=COUNT[,option...] (options: versioned, unversioned, hierarchy, flat, like=OTHER, new,
        differences=N, deleted=N). A later bucket of the same COUNT and shape equals the first one except -Differences
        keys (missing either side, same-size and size changes). Control, under the returned Endpoint:
        GET /_standin/expected?backup=B&source=S, GET /_standin/stats, POST /_standin/reset-stats,
        POST /_standin/latency {"ms": N}, GET /_standin/buckets. Building 2 x 500,000 keys takes about 4 s.
        Parameters not given are left to -SpecPath's JSON (or listing.py's defaults).
    .EXAMPLE
        $listing = Start-ListingStandIn -Bucket 'backup=500000', 'source=500000' -Differences 1000 -LatencyMs 100 -Folder $dir
        Invoke-RestMethod "$($listing.Endpoint)/_standin/expected?backup=backup&source=source" -NoProxy
        Stop-StandIn $listing
    #>
    [CmdletBinding()]
    param(
        [string[]] $Bucket = @(),
        [string] $SpecPath,
        [int] $Seed,
        [double] $LatencyMs,
        [int] $Differences,
        [ValidateSet('hierarchy', 'flat')] [string] $Shape,
        [switch] $Versioned,
        [int] $MaxVersions,
        [int] $Deleted,
        [string] $LogPath,
        [int] $TimeoutSeconds = 120,
        [Parameter(Mandatory)] [string] $Folder
    )
    $portFile = Join-Path $Folder 'listing.port'
    Remove-Item $portFile -ErrorAction Ignore
    $arguments = [System.Collections.Generic.List[string]]@((Join-Path $PSScriptRoot 'listing.py'), '--port-file', $portFile)
    foreach ($b in $Bucket) { $arguments.Add('--bucket'); $arguments.Add($b) }
    $options = [ordered]@{ SpecPath = '--spec'; Seed = '--seed'; LatencyMs = '--latency-ms'; Differences = '--differences'
        Shape = '--shape'; MaxVersions = '--max-versions'; Deleted = '--deleted'; LogPath = '--log' }
    foreach ($name in $options.Keys) {
        if ($PSBoundParameters.ContainsKey($name)) {
            $arguments.Add($options[$name])
            $arguments.Add([string]::Format([cultureinfo]::InvariantCulture, '{0}', $PSBoundParameters[$name]))
        }
    }
    if ($Versioned) { $arguments.Add('--versioned') }
    Start-PythonServer 'listing' $arguments.ToArray() $Folder $portFile -TimeoutSeconds $TimeoutSeconds
}

function Start-MotoServer {
    <# .SYNOPSIS Starts moto_server (in-memory S3, STS, IAM) on a free loopback port. #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Folder)
    $null = New-Item -ItemType Directory -Force $Folder
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    try { $listener.Start(); $port = $listener.LocalEndpoint.Port } finally { $listener.Stop() }
    $process = Start-Process -FilePath moto_server -ArgumentList @('-H', '127.0.0.1', '-p', $port) -PassThru `
        -RedirectStandardOutput (Join-Path $Folder 'moto.out') -RedirectStandardError (Join-Path $Folder 'moto.err')
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while ($true) {
        try {
            $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $port)
            $client.Dispose()
            break
        }
        catch {
            if ($process.HasExited -or [DateTime]::UtcNow -gt $deadline) { throw "moto_server did not start: $(Get-Content (Join-Path $Folder 'moto.err') -Raw -ErrorAction Ignore)" }
            Start-Sleep -Milliseconds 100
        }
    }
    [pscustomobject]@{ Process = $process; Port = $port; Endpoint = "http://127.0.0.1:$port" }
}

function Stop-StandIn {
    <# .SYNOPSIS Stops a server from Start-IdentityCenterStandIn, Start-S3ControlStandIn, Start-ReplicationStandIn, Start-ListingStandIn or Start-MotoServer. #>
    [CmdletBinding()]
    param([Parameter(ValueFromPipeline)] $Server)
    process {
        if ($Server -and -not $Server.Process.HasExited) {
            $Server.Process.Kill($true)
            $null = $Server.Process.WaitForExit(5000)
        }
    }
}

function Get-StandInLog {
    <# .SYNOPSIS Every request the identity stand-in has answered: method, path, user agent, bearer-token hash, access key handed out. #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Server)
    # Invoke-RestMethod writes a JSON array as one object; the caller wants the entries.
    $log = Invoke-RestMethod -Uri "$($Server.Endpoint)/_standin/log" -NoProxy
    $log
}

function New-StandInSignIn {
    <# .SYNOPSIS A valid access token, refresh token and client registration, issued by the stand-in's OIDC. #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Server)
    Invoke-RestMethod -Method Post -Uri "$($Server.Endpoint)/_standin/issue" -NoProxy
}

function Set-StandInDeviceAnswer {
    <# .SYNOPSIS What the next device-code CreateToken polls answer before approval: pending, slow_down, denied, expired. #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Server, [string[]] $Answer = @())
    $null = Invoke-RestMethod -Method Post -Uri "$($Server.Endpoint)/_standin/device" -NoProxy -ContentType 'application/json' `
        -Body (@{ answers = @($Answer) } | ConvertTo-Json)
}

Export-ModuleMember -Function Start-IdentityCenterStandIn, Start-S3ControlStandIn, Start-ReplicationStandIn, Start-ListingStandIn, Start-MotoServer, Stop-StandIn, Get-StandInLog, New-StandInSignIn, Set-StandInDeviceAnswer
