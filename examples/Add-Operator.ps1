#Requires -Version 7.4
#Requires -Modules S3Replication

<#
.SYNOPSIS
    Onboards a new operator: their role profile, their ARN in the backup role's trust policy, and a check that
    they can now assume the role and reach the buckets.

.DESCRIPTION
    Run in two halves by two people, or both by an administrator who has the operator's keys profile:
      - the administrator (profile -AdminProfile, allowed to edit the role) adds the operator's ARN to the trust
        policy of the backup role;
      - the operator's ~/.aws/config gets a [profile backup-role] pointing at the role through their own
        profile (-OperatorProfile), and the access check runs as that profile.
    Every change supports -WhatIf, and running it again changes nothing.

.EXAMPLE
    ./Add-Operator.ps1 -OperatorArn arn:aws:iam::123456789012:user/hartnett -OperatorProfile imap `
        -RoleArn arn:aws:iam::123456789012:role/SdsDataManager-dev-BackupRole -AdminProfile sds-admin -WhatIf
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)] [string] $OperatorArn,
    [Parameter(Mandatory)] [string] $OperatorProfile,
    [Parameter(Mandatory)] [string] $RoleArn,
    [Parameter(Mandatory)] [string] $AdminProfile,
    [string] $ProfileName = 'backup-role',
    [string[]] $Bucket = @('sds-data-dev', 'sds-data-dev-backup')
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$roleName = $RoleArn.Split('/')[-1]

# The administrator's half: trust the operator in the role (idempotent: a second run reports AlreadyTrusted).
Add-BackupRoleTrustPrincipal -ProfileName $AdminProfile -RoleName $roleName -PrincipalArn $OperatorArn -WhatIf:$WhatIfPreference |
    Format-Table Result, Principal, RoleName -AutoSize

# The operator's half: the role profile, then the check that the runbook's credentials work.
Set-BackupRoleProfile -Name $ProfileName -RoleArn $RoleArn -SourceProfile $OperatorProfile -PassThru -WhatIf:$WhatIfPreference
if (-not $WhatIfPreference) {
    Test-S3BackupAccess -ProfileName $ProfileName -Bucket $Bucket
}
