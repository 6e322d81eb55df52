# IAM Identity Center sign-in, instance metadata, container and web-identity credentials, end to end: the module
# and botocore (the aws CLI's library) against loopback stand-ins whose credentials come from the local server's STS.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module (Join-Path $PSScriptRoot '../standins/StandIns.psm1') -Force

    $accountId = '111122223333'
    $operator = New-LocalS3User -Server $Server -Name (New-TestName 'sso-ops')
    $permissionSet = New-LocalS3Role -Server $Server -Name (New-TestName 'BackupOperator') -TrustedPrincipal $operator.Arn
    $containerToken = 'container-' + [Guid]::NewGuid().ToString('N')
    $standIn = Start-IdentityCenterStandIn -StsEndpoint $Server.Endpoint -User $operator -RoleArn $permissionSet.Arn -AccountId $accountId `
        -ContainerToken $containerToken -Folder (Join-Path $TestDrive 'standin')
    # The SDK reads this once per process, when it is first used: before any client exists (the bucket fixture is one).
    $env:AWS_EC2_METADATA_SERVICE_ENDPOINT = $standIn.Endpoint

    $bucket = New-TestName 'sso-data'
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $bucket
    Write-TestObject -Bucket $bucket -Key 'reports/2026-12-01.csv' -Bytes ([Text.Encoding]::UTF8.GetBytes('a,b'))

    # botocore reads ~/.aws/sso/cache under HOME; the module does too. Both get this test's own home.
    $testHome = Join-Path $TestDrive 'home'
    $env:HOME = $testHome
    $env:AWS_ENDPOINT_URL_SSO = $standIn.Endpoint
    $env:AWS_ENDPOINT_URL_SSO_OIDC = $standIn.Endpoint
    $cacheFolder = Join-Path $testHome '.aws/sso/cache'

    $local = Get-LocalProfileSetting
    $configText = @"
[profile sso-dev]
sso_session = corp
sso_account_id = $accountId
sso_role_name = $($permissionSet.Name)
$local
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile sso-legacy]
sso_start_url = https://legacy.awsapps.com/start
sso_region = us-east-1
sso_account_id = $accountId
sso_role_name = $($permissionSet.Name)
$local
[profile restore-role]
role_arn = $($permissionSet.Arn)
source_profile = sso-dev
$local
"@
    $files = Set-TestProfileFile -Folder (Join-Path $testHome '.aws') -Credentials '' -Config $configText

    function Get-CachePath([string] $Name) {
        $hash = [Convert]::ToHexString([Security.Cryptography.SHA1]::HashData([Text.Encoding]::UTF8.GetBytes($Name))).ToLowerInvariant()
        Join-Path $cacheFolder "$hash.json"
    }

    # A cache file as the aws CLI writes it, with a sign-in the stand-in issued.
    function Set-CachedSignIn([string] $Name, [string] $StartUrl, [datetime] $ExpiresAt, [switch] $WithoutRefresh) {
        $signIn = New-StandInSignIn -Server $standIn
        $token = [ordered]@{
            startUrl    = $StartUrl
            region      = 'us-east-1'
            accessToken = $signIn.accessToken
            expiresAt   = $ExpiresAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'")
        }
        if (-not $WithoutRefresh) {
            $token.refreshToken = $signIn.refreshToken
            $token.clientId = $signIn.clientId
            $token.clientSecret = $signIn.clientSecret
            $token.registrationExpiresAt = [datetime]::UtcNow.AddDays(30).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'")
        }
        $null = New-Item -ItemType Directory -Force $cacheFolder
        Set-Content -Path (Get-CachePath $Name) -Value ($token | ConvertTo-Json) -NoNewline
        $script:issued += @($signIn.accessToken, $signIn.refreshToken, $signIn.clientSecret)
        $signIn
    }
    $script:issued = @()

    function Get-CachedToken([string] $Name) { Get-Content (Get-CachePath $Name) -Raw | ConvertFrom-Json -AsHashtable }

    function Get-BearerHash([string] $Token) { [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData([Text.Encoding]::UTF8.GetBytes($Token))).ToLowerInvariant() }

    # The module's requests carry the .NET SDK's user agent; botocore's carry "Botocore/".
    function Get-ModuleRequest { Get-StandInLog -Server $standIn | Where-Object agent -Match 'aws-sdk-dotnet' }
    function Get-BotocoreRequest { Get-StandInLog -Server $standIn | Where-Object agent -Match 'Botocore/' }

    function Invoke-Botocore([string] $ProfileName) {
        $output = & python3 (Join-Path $PSScriptRoot '../standins/botocore_credentials.py') $ProfileName 2>&1
        if ($LASTEXITCODE -ne 0) { throw "botocore failed: $output" }
        $output | ConvertFrom-Json
    }
}

AfterAll {
    Disconnect-S3Backup
    $standIn | Stop-StandIn
    foreach ($name in 'AWS_ENDPOINT_URL_SSO', 'AWS_ENDPOINT_URL_SSO_OIDC', 'AWS_EC2_METADATA_SERVICE_ENDPOINT') { Remove-Item "env:$name" -ErrorAction Ignore }
}

Describe 'IAM Identity Center profiles' {
    It 'are listed with their start URL, account, role and sign-in state, and no token' {
        $profile = Get-AwsConfigProfile -Name sso-dev
        $profile.Kind | Should -Be 'Sso'
        $profile.SsoSession | Should -Be 'corp'
        $profile.SsoStartUrl | Should -Be 'https://corp.awsapps.com/start'
        $profile.SsoAccountId | Should -Be $accountId
        $profile.SsoRoleName | Should -Be $permissionSet.Name
        $profile.TokenState | Should -Be 'None'
        (Get-AwsConfigProfile -Name restore-role).Kind | Should -Be 'AssumeRole'
    }

    It 'without a sign-in fail at once with SsoLoginRequired, naming both ways to sign in' {
        $elapsed = Measure-Command {
            { Connect-S3Backup -ProfileName sso-dev -ErrorAction Stop } | Should -Throw -ErrorId 'SsoLoginRequired,*'
        }
        $elapsed.TotalSeconds | Should -BeLessThan 10
        $error[0].Exception.Message | Should -Match 'Connect-S3Backup -ProfileName sso-dev -Login'
        $error[0].Exception.Message | Should -Match 'aws sso login --profile sso-dev'
    }

    It 'sign in with -Login (device authorization), cache the token owner-only, and list a bucket' {
        Set-StandInDeviceAnswer -Server $standIn -Answer 'pending'
        Connect-S3Backup -ProfileName sso-dev -Login -Bucket $bucket -InformationAction Continue -InformationVariable shown 6>$null

        ($shown | Where-Object Tags -Contains 'S3Replication.SignIn').MessageData.Message | Should -Match 'https://device\.sso\.example\.test/\?user_code=[0-9A-F]{4}-[0-9A-F]{4}'
        $path = Get-CachePath 'corp'
        (Get-Item $path).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
        $token = Get-CachedToken 'corp'
        $token.startUrl | Should -Be 'https://corp.awsapps.com/start'
        $token.refreshToken | Should -Not -BeNullOrEmpty
        $script:issued += @($token.accessToken, $token.refreshToken, $token.clientSecret)
        $oidcPaths = (Get-ModuleRequest | Where-Object path -NE '/federation/credentials').path
        $oidcPaths | Should -Be @('/client/register', '/device_authorization', '/token', '/token')

        $session = Get-S3BackupSession
        $session.CredentialKind | Should -Be 'Sso'
        $session.CredentialChain | Should -Match "Sso $($permissionSet.Name) in $accountId via https://corp.awsapps.com/start"
        (Get-S3BackupObject -Bucket $bucket).Key | Should -Be 'reports/2026-12-01.csv'
        (Get-AwsConfigProfile -Name sso-dev).TokenState | Should -Be 'Valid'
    }

    It 'carries a role profile on top of the SSO profile (the runbook''s source_profile shape)' {
        $session = Connect-S3Backup -ProfileName restore-role -Bucket $bucket -PassThru
        $session.CredentialKind | Should -Be 'AssumeRole'
        $session.Arn | Should -BeLike "arn:aws:sts:::assumed-role/$($permissionSet.Name)/*"
        (Get-S3BackupObject -Bucket $bucket).Count | Should -Be 1
    }

    It 'refreshes an expired token through SSO OIDC and rewrites the cache file' {
        $old = Set-CachedSignIn -Name corp -StartUrl 'https://corp.awsapps.com/start' -ExpiresAt ([datetime]::UtcNow.AddMinutes(-10))
        $before = @(Get-ModuleRequest).Count
        Connect-S3Backup -ProfileName sso-dev -Bucket $bucket
        $token = Get-CachedToken 'corp'
        $token.accessToken | Should -Not -Be $old.accessToken
        $token.refreshToken | Should -Not -Be $old.refreshToken
        [datetime]::Parse($token.expiresAt).ToUniversalTime() | Should -BeGreaterThan ([datetime]::UtcNow.AddHours(7))
        (Get-Item (Get-CachePath 'corp')).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
        $script:issued += @($token.accessToken, $token.refreshToken)
        $new = @(Get-ModuleRequest) | Select-Object -Skip $before
        $new.path | Should -Be @('/token', '/federation/credentials')
        $new[1].bearer | Should -Be (Get-BearerHash $token.accessToken)
    }

    It 'signs in a legacy profile from the file keyed by its start URL, and asks for a sign-in once it expires' {
        $null = Set-CachedSignIn -Name 'https://legacy.awsapps.com/start' -StartUrl 'https://legacy.awsapps.com/start' -ExpiresAt ([datetime]::UtcNow.AddHours(1)) -WithoutRefresh
        Connect-S3Backup -ProfileName sso-legacy -Bucket $bucket
        (Get-AwsConfigProfile -Name sso-legacy).TokenState | Should -Be 'Valid'

        $null = Set-CachedSignIn -Name 'https://legacy.awsapps.com/start' -StartUrl 'https://legacy.awsapps.com/start' -ExpiresAt ([datetime]::UtcNow.AddHours(-1)) -WithoutRefresh
        (Get-AwsConfigProfile -Name sso-legacy).TokenState | Should -Be 'Expired'
        { Connect-S3Backup -ProfileName sso-legacy -ErrorAction Stop } | Should -Throw -ErrorId 'SsoLoginRequired,*'
    }
}

Describe 'The same sign-in as the aws CLI (botocore)' {
    It 'resolves the same profile to the same access key id from the same cached token' {
        $signIn = Set-CachedSignIn -Name corp -StartUrl 'https://corp.awsapps.com/start' -ExpiresAt ([datetime]::UtcNow.AddHours(2))
        Connect-S3Backup -ProfileName sso-dev -Bucket $bucket
        $ours = Get-ModuleRequest | Where-Object { $_.path -eq '/federation/credentials' -and $_.bearer -eq (Get-BearerHash $signIn.accessToken) }
        $theirs = Invoke-Botocore sso-dev
        $theirs.method | Should -Be 'sso'
        @($ours).Count | Should -Be 1
        $theirs.accessKeyId | Should -Be $ours.accessKeyId
    }

    It 'uses a token botocore refreshed without refreshing it again' {
        $old = Set-CachedSignIn -Name corp -StartUrl 'https://corp.awsapps.com/start' -ExpiresAt ([datetime]::UtcNow.AddMinutes(-5))
        $null = Invoke-Botocore sso-dev
        $refreshed = Get-CachedToken 'corp'
        $refreshed.accessToken | Should -Not -Be $old.accessToken
        $script:issued += @($refreshed.accessToken, $refreshed.refreshToken)
        $before = @(Get-ModuleRequest).Count

        Connect-S3Backup -ProfileName sso-dev -Bucket $bucket

        $new = @(Get-ModuleRequest) | Select-Object -Skip $before
        $new.path | Should -Be @('/federation/credentials')
        $new[0].bearer | Should -Be (Get-BearerHash $refreshed.accessToken)
    }

    It 'hands botocore a token the module refreshed' {
        $old = Set-CachedSignIn -Name corp -StartUrl 'https://corp.awsapps.com/start' -ExpiresAt ([datetime]::UtcNow.AddMinutes(-5))
        Connect-S3Backup -ProfileName sso-dev -Bucket $bucket
        $refreshed = Get-CachedToken 'corp'
        $refreshed.accessToken | Should -Not -Be $old.accessToken
        $script:issued += @($refreshed.accessToken, $refreshed.refreshToken)
        $before = @(Get-BotocoreRequest).Count

        $null = Invoke-Botocore sso-dev

        $new = @(Get-BotocoreRequest) | Select-Object -Skip $before
        $new.path | Should -Be @('/federation/credentials')
        $new[0].bearer | Should -Be (Get-BearerHash $refreshed.accessToken)
    }
}

Describe 'Machine credentials for scheduled runbooks' {
    BeforeAll {
        # No profile applies: the runbook runs on a machine whose own role is the only credential.
        $machineVariables = @{
            AWS_ENDPOINT_URL                 = $Server.Endpoint
            AWS_REQUEST_CHECKSUM_CALCULATION = 'when_required'
            AWS_RESPONSE_CHECKSUM_VALIDATION = 'when_required'
        }
        function Invoke-WithVariables([hashtable] $Variables, [scriptblock] $Script) {
            foreach ($entry in $Variables.GetEnumerator()) { Set-Item "env:$($entry.Key)" $entry.Value }
            try { & $Script } finally { foreach ($name in $Variables.Keys) { Remove-Item "env:$name" -ErrorAction Ignore } }
        }
    }

    It 'connects with no profile through the instance metadata service (IMDSv2: a session token first)' {
        $variables = $machineVariables
        $session = Invoke-WithVariables $variables { Connect-S3Backup -Bucket $bucket -PassThru }
        $session.CredentialKind | Should -Be 'InstanceMetadata'
        $session.ProfileName | Should -BeNullOrEmpty
        $session.Arn | Should -BeNullOrEmpty -Because 'RGW has no GetCallerIdentity and instance credentials carry no role ARN'
        $metadata = Get-StandInLog -Server $standIn | Where-Object path -Like '/latest/*'
        $metadata[0].method | Should -Be 'PUT'
        $metadata[0].path | Should -Be '/latest/api/token'
        ($metadata | Where-Object accessKeyId).Count | Should -BeGreaterOrEqual 1
        Invoke-WithVariables $variables { (Get-S3BackupObject -Bucket $bucket).Key } | Should -Be 'reports/2026-12-01.csv'
    }

    It 'connects with no profile through the container credentials endpoint and its authorization token file' {
        $tokenFile = Join-Path $TestDrive 'container-token'
        Set-Content $tokenFile $containerToken -NoNewline
        $variables = $machineVariables + @{
            AWS_CONTAINER_CREDENTIALS_FULL_URI     = "$($standIn.Endpoint)/container/credentials"
            AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE = $tokenFile
        }
        $session = Invoke-WithVariables $variables { Connect-S3Backup -Bucket $bucket -PassThru }
        $session.CredentialKind | Should -Be 'Container'
        (Get-StandInLog -Server $standIn | Where-Object { $_.path -eq '/container/credentials' -and $_.accessKeyId }).Count | Should -BeGreaterOrEqual 1
    }

    It 'says plainly that no credentials were found when instance metadata is switched off' {
        Invoke-WithVariables ($machineVariables + @{ AWS_EC2_METADATA_DISABLED = 'true' }) {
            { Connect-S3Backup -ErrorAction Stop } | Should -Throw -ErrorId 'NoSession,*'
        }
    }
}

Describe 'Web identity (moto_server, whose STS answers AssumeRoleWithWebIdentity and GetCallerIdentity)' {
    BeforeAll {
        $moto = Start-MotoServer -Folder (Join-Path $TestDrive 'moto')
        $tokenFile = Join-Path $TestDrive 'web-identity-token'
        Set-Content $tokenFile 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6b3BzOnJ1bmJvb2sifQ.' -NoNewline
        $motoBucket = New-TestName 'web'
        & python3 -c "import boto3,sys; boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='x', aws_secret_access_key='y').create_bucket(Bucket=sys.argv[2])" $moto.Endpoint $motoBucket
        Add-Content $files.Config "`n[profile workload]`nrole_arn = arn:aws:iam::123456789012:role/Runbook`nweb_identity_token_file = $tokenFile`nrole_session_name = nightly`nendpoint_url = $($moto.Endpoint)`n"
    }
    AfterAll { $moto | Stop-StandIn }

    It 'assumes the profile''s role with the token at the profile''s STS endpoint and lists a bucket' {
        $session = Connect-S3Backup -ProfileName workload -Bucket $motoBucket -PassThru
        $session.CredentialKind | Should -Be 'WebIdentity'
        $session.RoleArn | Should -Be 'arn:aws:iam::123456789012:role/Runbook'
        $session.Arn | Should -Be 'arn:aws:sts::123456789012:assumed-role/Runbook/nightly'
        (Get-AwsConfigProfile -Name workload).Kind | Should -Be 'WebIdentity'
    }
}

Describe 'Secrets' {
    It 'appear in no output, verbose, debug, warning, information or error stream of a sign-in, refresh and listing' {
        $null = Set-CachedSignIn -Name corp -StartUrl 'https://corp.awsapps.com/start' -ExpiresAt ([datetime]::UtcNow.AddMinutes(-1))
        Set-StandInDeviceAnswer -Server $standIn -Answer 'pending'
        $everything = & {
            Connect-S3Backup -ProfileName sso-dev -Bucket $bucket -PassThru -Verbose -Debug
            Connect-S3Backup -ProfileName sso-dev -Login -PassThru -Verbose -Debug -InformationAction Continue
            Get-S3BackupSession | Format-List * | Out-String
            Get-AwsConfigProfile | Format-List * | Out-String
            Get-S3BackupObject -Bucket $bucket -Verbose -Debug
            try { Connect-S3Backup -ProfileName sso-legacy } catch { $_ | Format-List * -Force | Out-String }
        } *>&1 4>&1 5>&1 6>&1 2>&1 | Out-String
        $token = Get-CachedToken 'corp'
        $secrets = @($script:issued) + @($token.accessToken, $token.refreshToken, $token.clientSecret, $operator.SecretKey) | Where-Object { $_ }
        $secrets.Count | Should -BeGreaterThan 10
        $everything | Should -Match 'Connected as'
        foreach ($secret in $secrets) { $everything.Contains($secret) | Should -BeFalse -Because "a secret ($($secret.Substring(0, 4))…) must not be shown" }
    }
}
