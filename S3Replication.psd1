@{
    # No root module and no script: two binary nested modules, which import faster. The loader (netstandard2.0) runs
    # first. The cmdlet assembly (dependencies/S3Replication.dll) is then asked for by its assembly name, not by path,
    # so that on PowerShell 7 it comes from the module's own load context, with the AWS SDK it was built with, instead
    # of being loaded into the default context that every module shares. The full form of the name keeps PowerShell
    # from taking it for a module on PSModulePath (such as another installed version of this one); Test-ModuleManifest
    # cannot resolve such a name and reports the entry as invalid (README, "Use the built module").
    NestedModules        = @(
        'S3Replication.Loader.dll'
        'S3Replication, Culture=neutral, PublicKeyToken=null'
    )
    ModuleVersion        = '0.1.0'
    GUID                 = '5d0f3c3e-6a2b-4a39-9d8e-2f1c7b6a4e10'
    Author               = 'S3Replication contributors'
    CompanyName          = 'S3Replication contributors'
    Copyright            = '(c) S3Replication contributors. Apache License 2.0.'
    Description          = 'Back up S3 buckets by cross-account replication and restore from the backups: replication rules that merge instead of replace, trust-policy principals, role profiles, access checks and fast, filtered, point-in-time restores.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Core', 'Desktop')
    FormatsToProcess     = @('S3Replication.format.ps1xml')
    CmdletsToExport      = @(
        'Connect-S3Backup'
        'Disconnect-S3Backup'
        'Get-S3BackupSession'
        'Get-AwsConfigProfile'
        'Set-BackupRoleProfile'
        'New-S3BackupReplicationRule'
        'Get-S3BackupReplicationRule'
        'Set-S3BackupReplicationRule'
        'Remove-S3BackupReplicationRule'
        'Get-S3ReplicationStatus'
        'Get-BackupRoleTrustPolicy'
        'Add-BackupRoleTrustPrincipal'
        'Remove-BackupRoleTrustPrincipal'
        'Get-S3BackupObject'
        'Sync-S3BackupToSource'
        'Undo-S3BackupRestore'
        'Compare-S3BackupBucket'
        'Save-S3BackupObject'
        'Write-S3BackupObject'
        'Test-S3BackupAccess'
        'Test-S3BackupReplication'
        'Start-S3BackupBatchRestore'
        'Start-S3BackupBatchReplication'
        'Get-S3BackupBatchJob'
        'Approve-S3BackupBatchJob'
        'Wait-S3BackupBatchJob'
        'Stop-S3BackupBatchJob'
        'Set-S3BackupBatchJob'
        'Get-S3BackupBatchJobReport'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('AWS', 'S3', 'Backup', 'Replication', 'Restore', 'IAM')
            LicenseUri = 'https://www.apache.org/licenses/LICENSE-2.0'
        }
    }
}
