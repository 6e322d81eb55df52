BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')

    $operator = New-LocalS3User -Server $Server -Name (New-TestName 'ops')
    # The operator may edit roles itself (Ceph RGW's "roles" capability stands for iam:UpdateAssumeRolePolicy here).
    $null = Invoke-RgwAdmin $Server caps add "--uid=$($operator.Name)" '--caps=roles=*'
    $role = New-LocalS3Role -Server $Server -Name (New-TestName 'BackupRole') -TrustedService 's3.amazonaws.com'
    $bucket = New-TestName 'sds-data-dev'
    $local = Get-LocalProfileSetting
    $null = Set-TestProfileFile -Folder (Join-Path $TestDrive 'aws') `
        -Credentials "[admin]`naws_access_key_id = $($Server.AccessKey)`naws_secret_access_key = $($Server.SecretKey)`n[imap]`naws_access_key_id = $($operator.AccessKey)`naws_secret_access_key = $($operator.SecretKey)`n" `
        -Config "[profile admin]`n$local`n[profile imap]`n$local`n[profile backup-role]`nrole_arn = $($role.Arn)`nsource_profile = imap`n$local"
    New-LocalS3Bucket -Server $Server -ModulePath $ModulePath -Name $bucket -Versioned
    Connect-S3Backup -ProfileName admin

    function Get-Document([string] $RoleName = $role.Name) { (Get-BackupRoleTrustPolicy -RoleName $RoleName).Document }
}

AfterAll { Disconnect-S3Backup }

Describe 'The runbook step: trust the operator, assume the role, take it back' {
    It 'shows the role trusting only the S3 service' {
        $policy = Get-BackupRoleTrustPolicy -RoleName $role.Name
        $policy.RoleArn | Should -Be $role.Arn
        $policy.Principals.Principal | Should -Be 's3.amazonaws.com'
        $policy.Principals.Type | Should -Be 'Service'
        $policy.Size | Should -BeGreaterThan 50
    }

    It 'does not let the operator assume the role yet' {
        { Connect-S3Backup -ProfileName backup-role -ErrorAction Stop } | Should -Throw -ErrorId 'AccessDenied,*'
        Connect-S3Backup -ProfileName admin
    }

    It 'changes nothing with -WhatIf' {
        $before = Get-Document
        Add-BackupRoleTrustPrincipal -RoleName $role.Name -PrincipalArn $operator.Arn -WhatIf | Should -BeNullOrEmpty
        Get-Document | Should -Be $before
    }

    It 'adds the operator, keeping the service principal' {
        $change = Add-BackupRoleTrustPrincipal -RoleName $role.Name -PrincipalArn $operator.Arn
        $change.Result | Should -Be 'Added'
        $principals = (Get-BackupRoleTrustPolicy -RoleName $role.Name).Principals
        ($principals | Where-Object Type -EQ 'AWS').Principal | Should -Be $operator.Arn
        ($principals | Where-Object Type -EQ 'Service').Principal | Should -Be 's3.amazonaws.com'
    }

    It 'lets the operator assume the role and list the bucket' {
        $session = Connect-S3Backup -ProfileName backup-role -Bucket $bucket -PassThru
        $session.Arn | Should -BeLike "arn:aws:sts:::assumed-role/$($role.Name)/*"
        Connect-S3Backup -ProfileName admin
    }

    It 'changes nothing when the operator is already trusted' {
        $before = Get-Document
        (Add-BackupRoleTrustPrincipal -RoleName $role.Name -PrincipalArn $operator.Arn).Result | Should -Be 'AlreadyTrusted'
        Get-Document | Should -Be $before
    }

    It 'removes the operator again, keeping the service principal' {
        (Remove-BackupRoleTrustPrincipal -RoleName $role.Name -PrincipalArn $operator.Arn -Confirm:$false).Result | Should -Be 'Removed'
        (Get-BackupRoleTrustPolicy -RoleName $role.Name).Principals.Principal | Should -Be 's3.amazonaws.com'
        { Connect-S3Backup -ProfileName backup-role -ErrorAction Stop } | Should -Throw -ErrorId 'AccessDenied,*'
        Connect-S3Backup -ProfileName admin
    }

    It 'says a principal that is not trusted was not there' {
        (Remove-BackupRoleTrustPrincipal -RoleName $role.Name -PrincipalArn $operator.Arn -Confirm:$false).Result | Should -Be 'NotTrusted'
    }
}

Describe 'Refusals change nothing' {
    It 'refuses <Case>' -ForEach @(
        @{ Case = 'everyone without -Force'; Command = { Add-BackupRoleTrustPrincipal -RoleName $role.Name -PrincipalArn '*' -ErrorAction Stop }; ErrorId = 'BroadPrincipalRefused' }
        @{ Case = 'a whole account without -Force'; Command = { Add-BackupRoleTrustPrincipal -RoleName $role.Name -PrincipalArn '123456789012' -ErrorAction Stop }; ErrorId = 'BroadPrincipalRefused' }
        @{ Case = 'a bare user name'; Command = { Add-BackupRoleTrustPrincipal -RoleName $role.Name -PrincipalArn 'hartnett' -ErrorAction Stop }; ErrorId = 'InvalidPrincipal' }
        @{ Case = 'a role ARN as role name'; Command = { Add-BackupRoleTrustPrincipal -RoleName $role.Arn -PrincipalArn $operator.Arn -ErrorAction Stop }; ErrorId = 'InvalidArgument' }
        @{ Case = 'removing the S3 service principal'; Command = { Remove-BackupRoleTrustPrincipal -RoleName $role.Name -PrincipalArn 's3.amazonaws.com' -Confirm:$false -ErrorAction Stop }; ErrorId = 'ServicePrincipalRefused' }
        @{ Case = 'a policy over the size limit'; Command = { Add-BackupRoleTrustPrincipal -RoleName $role.Name -PrincipalArn $operator.Arn -PolicySizeLimit 150 -ErrorAction Stop }; ErrorId = 'PolicyTooLarge' }
        @{ Case = 'defaulting to the caller where the endpoint cannot say who that is'; Command = { Add-BackupRoleTrustPrincipal -RoleName $role.Name -ErrorAction Stop }; ErrorId = 'IdentityUnknown' }
    ) {
        $before = Get-Document
        $Command | Should -Throw -ErrorId "$ErrorId,*"
        Get-Document | Should -Be $before
    }

    It 'names a role that does not exist' {
        $failure = { Get-BackupRoleTrustPolicy -RoleName NoSuchRole -ErrorAction Stop } | Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -BeLike 'RoleNotFound,*'
        $failure.Exception.Message | Should -Match 'NoSuchRole was not found'
    }

    It 'never removes the last principal without -Force' {
        $lonely = New-LocalS3Role -Server $Server -Name (New-TestName 'Lonely') -TrustedPrincipal $operator.Arn
        $before = Get-Document $lonely.Name
        { Remove-BackupRoleTrustPrincipal -RoleName $lonely.Name -PrincipalArn $operator.Arn -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'LastPrincipalRefused,*'
        Get-Document $lonely.Name | Should -Be $before
    }
}

Describe 'Waiting, pipelines and concurrent editors' {
    It 'waits until the operator can really assume the role (-Wait)' {
        $change = Add-BackupRoleTrustPrincipal -ProfileName imap -RoleName $role.Name -PrincipalArn $operator.Arn -Wait -TimeoutSeconds 30
        $change.Result | Should -Be 'Added'
        $change.Verified | Should -BeTrue
        $null = Remove-BackupRoleTrustPrincipal -RoleName $role.Name -PrincipalArn $operator.Arn -Confirm:$false
    }

    It 'adds principals from the pipeline by property name' {
        $people = 1..2 | ForEach-Object { New-LocalS3User -Server $Server -Name (New-TestName "csv$_") }
        $rows = $people | ForEach-Object { [pscustomobject]@{ RoleName = $role.Name; PrincipalArn = $_.Arn } }
        ($rows | Add-BackupRoleTrustPrincipal).Result | Should -Be @('Added', 'Added')
        $trusted = (Get-BackupRoleTrustPolicy -RoleName $role.Name).Principals.Principal
        foreach ($person in $people) { $trusted | Should -Contain $person.Arn }
        $rows | Remove-BackupRoleTrustPrincipal -Confirm:$false | Out-Null
    }

    It 'keeps every principal when three runspaces add at once' {
        $people = 1..3 | ForEach-Object { New-LocalS3User -Server $Server -Name (New-TestName "race$_") }
        $manifest = Join-Path $ModulePath 'S3Replication.psd1'
        $roleName = $role.Name
        $failures = $people | ForEach-Object -ThrottleLimit 3 -Parallel {
            Import-Module $using:manifest
            try { $null = Add-BackupRoleTrustPrincipal -ProfileName admin -RoleName $using:roleName -PrincipalArn $_.Arn -ErrorAction Stop }
            catch { "$($_.Arn): $_" }
        }
        $failures | Should -BeNullOrEmpty
        $trusted = (Get-BackupRoleTrustPolicy -RoleName $role.Name).Principals.Principal
        foreach ($person in $people) { $trusted | Should -Contain $person.Arn }
        $trusted | Should -Contain 's3.amazonaws.com'
    }
}
