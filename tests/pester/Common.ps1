# Dot-sourced by every Pester file: the published module, the running local server and its fixtures.
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $env:S3R_MODULE_PATH 'S3Replication.psd1') -Force
Import-Module (Join-Path $PSScriptRoot '../s3server/LocalS3.psm1') -Force
$Server = Get-Content $env:S3R_TEST_SERVER -Raw | ConvertFrom-Json
$ModulePath = $env:S3R_MODULE_PATH
# Each transfer cmdlet ends with a summary line for the person at the console; the tests capture it where they check it.
$PSDefaultParameterValues['*-S3Backup*:InformationAction'] = 'SilentlyContinue'

function New-TestName([string] $Prefix) { "$Prefix-$([Guid]::NewGuid().ToString('N').Substring(0, 8))" }

<#
    Points this process at its own profile files. The AWS SDK reads AWS_CONFIG_FILE once per process, so each
    Pester file (a fresh process) calls this once, before the first cmdlet that reads profiles.
#>
function Set-TestProfileFile([string] $Folder, [string] $Credentials, [string] $Config) {
    $null = New-Item -ItemType Directory -Force $Folder
    $credentialsPath = Join-Path $Folder 'credentials'
    $configPath = Join-Path $Folder 'config'
    [IO.File]::WriteAllText($credentialsPath, $Credentials)
    [IO.File]::WriteAllText($configPath, $Config)
    $env:AWS_SHARED_CREDENTIALS_FILE = $credentialsPath
    $env:AWS_CONFIG_FILE = $configPath
    foreach ($name in 'AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_DEFAULT_REGION') {
        Remove-Item "env:$name" -ErrorAction Ignore
    }
    [pscustomobject]@{ Credentials = $credentialsPath; Config = $configPath }
}

# The simplest set-up: one profile, "admin", with the server's own keys.
function Set-AdminProfileFile {
    $local = Get-LocalProfileSetting
    Set-TestProfileFile -Folder (Join-Path $TestDrive 'aws') -Config "[profile admin]`n$local" `
        -Credentials "[admin]`naws_access_key_id = $($Server.AccessKey)`naws_secret_access_key = $($Server.SecretKey)`n"
}

# The settings every profile needs against the local server (Ceph RGW rejects the SDK's default checksums).
function Get-LocalProfileSetting {
    "endpoint_url = $($Server.Endpoint)`nrequest_checksum_calculation = when_required`nresponse_checksum_validation = when_required`n"
}

# Object fixtures and checks that go straight to the server (the module under test is not used for them).
function Write-TestObject {
    param([string] $Bucket, [string] $Key, [byte[]] $Bytes, [string] $ContentType, [hashtable] $Metadata = @{}, [hashtable] $Tags = @{}, [string] $CacheControl)
    $client = New-LocalS3Client -Server $Server -ModulePath $ModulePath
    try {
        $request = [Amazon.S3.Model.PutObjectRequest]::new()
        $request.BucketName = $Bucket; $request.Key = $Key
        # An empty byte array arrives as $null (PowerShell unrolls it): that is a zero-byte object.
        $request.InputStream = [IO.MemoryStream]::new([byte[]]($Bytes ?? [byte[]]::new(0)))
        if ($ContentType) { $request.ContentType = $ContentType }
        if ($CacheControl) { $request.Headers.CacheControl = $CacheControl }
        foreach ($entry in $Metadata.GetEnumerator()) { $request.Metadata.Add($entry.Key, $entry.Value) }
        if ($Tags.Count) {
            $request.TagSet = [System.Collections.Generic.List[Amazon.S3.Model.Tag]]::new()
            foreach ($entry in $Tags.GetEnumerator()) { $request.TagSet.Add([Amazon.S3.Model.Tag]@{ Key = $entry.Key; Value = $entry.Value }) }
        }
        $null = $client.PutObjectAsync($request).GetAwaiter().GetResult()
    }
    finally { $client.Dispose() }
}

function Remove-TestObject([string] $Bucket, [string] $Key) {
    $client = New-LocalS3Client -Server $Server -ModulePath $ModulePath
    try { $null = $client.DeleteObjectAsync($Bucket, $Key).GetAwaiter().GetResult() } finally { $client.Dispose() }
}

# Content hash, content type, metadata, cache-control and tags of an object, as the server has them.
function Get-TestObject([string] $Bucket, [string] $Key) {
    $client = New-LocalS3Client -Server $Server -ModulePath $ModulePath
    try {
        $response = $client.GetObjectAsync($Bucket, $Key).GetAwaiter().GetResult()
        $memory = [IO.MemoryStream]::new()
        $response.ResponseStream.CopyTo($memory)
        $tagging = $client.GetObjectTaggingAsync([Amazon.S3.Model.GetObjectTaggingRequest]@{ BucketName = $Bucket; Key = $Key }).GetAwaiter().GetResult()
        [pscustomobject]@{
            Hash         = [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($memory.ToArray()))
            Size         = $memory.Length
            ContentType  = $response.Headers.ContentType
            CacheControl = $response.Headers.CacheControl
            Metadata     = ($response.Metadata.Keys | Sort-Object | ForEach-Object { "$_=$($response.Metadata[$_])" }) -join ';'
            Tags         = ($tagging.Tagging | Sort-Object Key | ForEach-Object { "$($_.Key)=$($_.Value)" }) -join ';'
        }
    }
    finally { $client.Dispose() }
}

function Get-TestObjectBytes([string] $Bucket, [string] $Key) {
    $client = New-LocalS3Client -Server $Server -ModulePath $ModulePath
    try {
        $memory = [IO.MemoryStream]::new()
        $client.GetObjectAsync($Bucket, $Key).GetAwaiter().GetResult().ResponseStream.CopyTo($memory)
        , $memory.ToArray()
    }
    finally { $client.Dispose() }
}

function Get-RandomBytes([int] $Count) { [Security.Cryptography.RandomNumberGenerator]::GetBytes($Count) }

# A local file of random content, its folders created; an empty array arrives as $null, hence the zero-byte case.
function Write-RandomFile([string] $Path, [int] $Size) {
    $null = New-Item -ItemType Directory -Force (Split-Path $Path)
    [IO.File]::WriteAllBytes($Path, [byte[]]((Get-RandomBytes $Size) ?? [byte[]]::new(0)))
}

<#
    A runspace whose host records what a console would show (its warning lines), with the module imported and the admin
    profile connected, ready to run $Script: Invoke() it, or BeginInvoke() and Stop() it as Ctrl+C would. Dispose both.
#>
function New-RecordingShell([string] $Script) {
    if (-not ('S3Replication.PesterSupport.RecordingHost' -as [type])) { Add-Type -Path (Join-Path $PSScriptRoot 'RecordingHost.cs') }
    $console = [S3Replication.PesterSupport.RecordingHost]::new()
    $runspace = [runspacefactory]::CreateRunspace($console)
    $runspace.Open()
    $shell = [powershell]::Create()
    $shell.Runspace = $runspace
    $null = $shell.AddScript("Import-Module '$(Join-Path $ModulePath 'S3Replication.psd1')'; Connect-S3Backup -ProfileName admin; $Script")
    [pscustomobject]@{ Shell = $shell; Runspace = $runspace; Console = $console }
}
