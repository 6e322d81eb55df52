<#
    How each shipped example runs, by its Id ("<Cmdlet>: <title>" or "<Script>.ps1: .EXAMPLE <n>"). An example without an
    entry runs as it is against the standard fixture (see ExampleFixtures.ps1) and must succeed without errors; an entry
    adds what the example needs and what it must have produced. Keys:
      Where        the servers it runs against, when not only the local Ceph server (part of the test name)
      Note         why it runs other than exactly as written (part of the test name)
      Session      the profile connected as the default session before it runs (admin; 'none' for no session).
                   An example of a Batch cmdlet gets 'ops' and its Where by default (Resolve-ExampleSpec).
      Setup        { param($f) ... } prepares state; sets $f.Variables (what the example reads) and $f.Replace
      Check        { param($run) ... } asserts on $run.Output, $run.Fixture, files in $run.Fixture.Folder, ...
      ExitCode     the exit code it must end with (0)
      Confirm      it asks before changing anything: answered yes
      PointInTime  the fixture has a moment T before a bad run; '2026-12-01T22:00:00Z' in the example becomes T
      NoRule, UnversionedSource   fixture variants
#>
@{
    'Add-BackupRoleTrustPrincipal: Example 1: Trust your own user (the runbook step)'                                 = @{
        Where = 'moto_server''s IAM and STS (the Ceph server cannot say who the caller is)'; Session = 'moto-ops'
        Setup = { param($f) $f.Roles['SdsDataManager-dev-BackupRole'] = New-MotoRole 'SdsDataManager-dev-BackupRole' }
        Check = { param($run)
            $trusted = (Get-BackupRoleTrustPolicy -ProfileName moto-ops -RoleName $run.Fixture.Roles['SdsDataManager-dev-BackupRole'].Name).Principals.Principal
            $trusted | Should -Contain 'arn:aws:iam::123456789012:user/operator'
        }
    }
    'Add-BackupRoleTrustPrincipal: Example 2: Trust a colleague, previewing the change'                                = @{
        Check = { param($run) Get-ExampleTrust $run.Fixture.Roles['SdsDataManager-dev-BackupRole'].Name | Should -Not -Contain $Hartnett.Arn }
    }
    'Add-BackupRoleTrustPrincipal: Example 3: Onboard operators from a CSV file'                                       = @{
        Setup = { param($f) [pscustomobject]@{ PrincipalArn = $Hartnett.Arn } | Export-Csv (Join-Path $f.Folder 'operators.csv') }
        Check = { param($run)
            $run.Output.Result | Should -Be 'Added'
            Get-ExampleTrust $run.Fixture.Roles['SdsDataManager-dev-BackupRole'].Name | Should -Contain $Hartnett.Arn
        }
    }
    'Approve-S3BackupBatchJob: Example 1: Start, approve and wait'                                                     = @{
        Setup = { param($f) $f.Variables.role = (Get-ExampleRole $f 'BatchRestore').Arn }
        Check = { param($run)
            $run.Output.Status | Should -Be 'Complete'
            $run.Output.SucceededTasks | Should -Be 5 -Because 'four files only the backup has and the swe file that differs'
            Get-ExampleKey $run.Fixture.Pairs['dev'].Source | Should -Contain $ExampleKeys.Mag06
        }
    }
    'Approve-S3BackupBatchJob: Example 2: Approve a job by id'                                                         = @{
        Note = 'the task count is the fixture job''s, not 120000'
        Setup = { param($f)
            $job = New-ExampleJob $f
            $f.Variables.id = $job.JobId
            $f.Replace['120000'] = [string]$job.ExpectedTasks
        }
        Check = { param($run) $run.Output.Status | Should -Not -Be 'Suspended' }
    }
    'Compare-S3BackupBucket: Example 1: What is not backed up?'                                                        = @{
        Check = { param($run) $run.Output.Key | Should -Be $ExampleKeys.New }
    }
    'Compare-S3BackupBucket: Example 2: A nightly check that fails a runbook when the backup lags'                     = @{
        ExitCode = 1
        Check    = { param($run) (Import-Csv (Join-Path $run.Fixture.Folder 'backup-gaps.csv')).Key | Sort-Object | Should -Be @($ExampleKeys.New, $ExampleKeys.Swe) }
    }
    'Compare-S3BackupBucket: Example 3: Compare across two accounts'' credentials'                                     = @{
        Note  = 'one Ceph account stands in for both'
        Check = { param($run) $run.Output.Key | Should -Contain $ExampleKeys.Mag06 }
    }
    'Compare-S3BackupBucket: Example 4: The nightly check of a 10^8-key archive, from S3 Inventory'                    = @{
        Note  = 'inventories written by inventory_fixture.py'
        Setup = { param($f)
            $pair = $f.Pairs['dev']
            foreach ($side in @{ Bucket = $pair.Source; Versions = $false }, @{ Bucket = $pair.Backup; Versions = $true }) {
                $arguments = @('--endpoint', $Server.Endpoint, '--access-key', $Server.AccessKey, '--secret-key', $Server.SecretKey,
                    '--bucket', $side.Bucket, '--destination', $f.Buckets['sds-inventory'], '--config-id', 'daily')
                if ($side.Versions) { $arguments += '--versions' }
                $null = & python3 (Join-Path $PSScriptRoot '../standins/inventory_fixture.py') @arguments
                if ($LASTEXITCODE) { throw 'inventory_fixture.py failed' }
            }
        }
        Check = { param($run) ($run.Output | Where-Object Name -EQ MissingInBackup).Count | Should -Be 1 }
    }
    'Compare-S3BackupBucket: Example 5: Verify the backup''s content at rest, without downloading it'                 = @{
        Session = 'ops'; Where = 'the S3 Control stand-in on the Ceph server (it computes the checksums), the account from moto_server''s STS'
        Check   = { param($run)
            $groups = @{}
            foreach ($group in $run.Output) { $groups[$group.Name] = $group.Count }
            $groups['Equal, SameChecksum'] | Should -Be 1 -Because 'Mag05 has the same bytes on both sides'
            $groups['Different, SizeDiffers'] | Should -Be 1 -Because 'the swe file differs in size: no checksum is needed for it'
            $groups['MissingInSource, MissingInSource'] | Should -Be 4
        }
    }
    'Compare-S3BackupBucket: Example 6: Preview the cost, then verify one month''s files by SHA-256'                  = @{
        Session = 'ops'; Where = 'the S3 Control stand-in on the Ceph server (it computes the checksums), the account from moto_server''s STS'
        Check   = { param($run)
            $run.Output | Should -BeNullOrEmpty -Because 'Mag05, the one file in both, has the same bytes'
            $pair = $run.Fixture.Pairs['dev']
            $jobs = @(Get-S3BackupBatchJob -ProfileName ops | Where-Object Description -Match "^S3Replication SHA256 checksums of s3://($($pair.Source)|$($pair.Backup)),")
            $jobs.Count | Should -Be 2 -Because '-WhatIf created none, the second command one per bucket'
            $jobs.Status | Should -Be @('Complete', 'Complete')
        }
    }
    'Connect-S3Backup: Example 1: Assume the backup role and check that it can list the source bucket'                 = @{
        Check = { param($run) $run.Output.CredentialKind | Should -Be 'AssumeRole' }
    }
    'Connect-S3Backup: Example 2: Connect to an S3-compatible server in a scheduled runbook'                            = @{
        Check = { param($run) (Get-S3BackupSession).ProfileName | Should -Be 'backup-role' }
    }
    'Connect-S3Backup: Example 3: Sign in through IAM Identity Center, then restore as the backup role'                 = @{
        Where = 'the identity-center stand-in and the Ceph server'
        Note  = 'the device sign-in approved by the stand-in instead of a person; imap and backup-role as SSO profiles'
        Setup = { param($f)
            $f.Replace['-ProfileName imap'] = '-ProfileName sso-imap'
            $f.Replace['-ProfileName backup-role'] = '-ProfileName sso-backup-role'
        }
        Check = { param($run)
            $session = Get-S3BackupSession
            $session.ProfileName | Should -Be 'sso-backup-role'
            $session.CredentialChain | Should -Match 'Sso'
        }
    }
    'Connect-S3Backup: Example 4: A scheduled runbook on an EC2 instance or in a container'                            = @{
        Where = 'the instance-metadata stand-in and the Ceph server'; Session = 'none'
        Environment = @{ AWS_ENDPOINT_URL = $Server.Endpoint; AWS_REQUEST_CHECKSUM_CALCULATION = 'when_required'; AWS_RESPONSE_CHECKSUM_VALIDATION = 'when_required' }
        Check = { param($run) $run.Output | Should -Be 'InstanceMetadata' }
    }
    'Connect-S3Backup: Example 5: Use two accounts side by side'                                                       = @{
        Check = { param($run) $run.Output.ProfileName | Should -Contain 'backup-role' }
    }
    'Disconnect-S3Backup: Example 1: End a restore session'                                                            = @{
        Check = { param($run) Get-S3BackupSession | Should -BeNullOrEmpty }
    }
    'Disconnect-S3Backup: Example 2: Switch profiles cleanly in a long-running runbook'                                 = @{
        Check = { param($run) (Get-S3BackupSession).ProfileName | Should -Be 'imap' }
    }
    'Get-AwsConfigProfile: Example 1: List every profile'                                                              = @{
        Check = { param($run) $run.Output.Name | Should -Contain 'backup-role' }
    }
    'Get-AwsConfigProfile: Example 3: See which SSO profiles need a sign-in before tonight''s runbook'                  = @{
        Check = { param($run) ($run.Output | Out-String) | Should -Match 'sso-never' }
    }
    'Get-AwsConfigProfile: Example 4: Check one profile by name'                                                       = @{
        Check = { param($run) $run.Output.RoleArn | Should -Be $SuiteRole.Arn }
    }
    'Get-BackupRoleTrustPolicy: Example 2: Find principals of deleted users'                                           = @{
        Note  = 'the role trusts a unique id, as IAM shows a deleted user'
        Setup = { param($f) $f.Roles['BackupRole'] = New-ExampleRole 'BackupRole' -TrustedPrincipal $Tester.Arn, $OrphanId }
        Check = { param($run) Get-ExampleTrust $run.Fixture.Roles['BackupRole'].Name | Should -Not -Contain $OrphanId }
    }
    'Get-BackupRoleTrustPolicy: Example 3: Keep a copy of the policy before an edit'                                   = @{
        Check = { param($run)
            $saved = Get-Content (Join-Path $run.Fixture.Folder 'BackupRole-trust-before.json') -Raw | ConvertFrom-Json
            $saved.Statement[0].Principal.AWS | Should -Be $Tester.Arn
        }
    }
    'Get-S3BackupBatchJob: Example 1: The jobs still running'                                                          = @{
        Setup = { param($f) $f.Variables.expected = (New-ExampleJob $f).JobId }
        Check = { param($run) $run.Output.JobId | Should -Contain $run.Fixture.Variables.expected }
    }
    'Get-S3BackupBatchJob: Example 2: One job in full'                                                                 = @{
        Note = 'the fixture job''s id'
        Setup = { param($f) $f.Replace['8d2a3f00-0000-4000-a000-000000000000'] = (New-ExampleJob $f).JobId }
    }
    'Get-S3BackupBatchJobReport: Example 1: Retry what the job could not copy'                                         = @{
        Setup = { param($f) $f.Variables.id = (New-ExampleJob $f -Run -FailOne).JobId }
        Check = { param($run)
            $run.Output.Key | Should -Be $run.Fixture.Failing
            $run.Output.Action | Should -Be 'Copied'
        }
    }
    'Get-S3BackupBatchJobReport: Example 2: Why tasks failed'                                                          = @{
        Setup = { param($f) $f.Variables.id = (New-ExampleJob $f -Run -FailOne).JobId }
        Check = { param($run) "$($run.Output.Name)=$($run.Output.Count)" | Should -Be 'SlowDown=1' }
    }
    'Get-S3BackupObject: Example 1: One instrument''s level-1a files for January 2025'                                 = @{
        Check = { param($run) $run.Output.Key | Should -Be @($ExampleKeys.Mag05, $ExampleKeys.Mag06, $ExampleKeys.Mag07, $ExampleKeys.Mag07b, $ExampleKeys.Mag08) }
    }
    'Get-S3BackupObject: Example 2: Restore only non-empty files of one instrument'                                    = @{
        Check = { param($run)
            ($run.Output | Where-Object Action -EQ Copied).Key | Sort-Object | Should -Be @($ExampleKeys.Mag06, $ExampleKeys.Mag07, $ExampleKeys.Mag07b)
            Get-ExampleKey $run.Fixture.Pairs['dev'].Source imap/mag/ | Should -Not -Contain $ExampleKeys.Mag08
        }
    }
    'Get-S3BackupObject: Example 3: The backup as it was yesterday at noon, without version-2 files'                   = @{
        Note  = 'the fixture did not exist yesterday, so nothing is listed'
        Check = { param($run) $run.Output | Should -BeNullOrEmpty }
    }
    'Get-S3BackupReplicationRule: Example 1: Show a bucket''s rules'                                                   = @{
        Check = { param($run) $run.Output.RuleId | Should -Be 'ReplicateToBackup' }
    }
    'Get-S3BackupReplicationRule: Example 3: Rules of several buckets'                                                 = @{
        Check = { param($run) ($run.Output | Out-String -Width 300) | Should -Match ([regex]::Escape($run.Fixture.Pairs['prod'].Backup)) }
    }
    'Get-S3BackupSession: Example 1: See who the module is acting as'                                                  = @{
        Check = { param($run) ($run.Output | Out-String) | Should -Match 'Static \(profile admin\)' }
    }
    'Get-S3ReplicationStatus: Example 1: Has everything under a prefix replicated?'                                    = @{
        Check = { param($run) ($run.Output | Out-String) | Should -Match 'NONE' }
    }
    'Get-S3ReplicationStatus: Example 3: Check objects chosen with Get-S3BackupObject'                                 = @{
        Check = { param($run) $run.Output.Key | Should -Be $ExampleKeys.Mag05 }
    }
    'New-S3BackupReplicationRule: Example 1: The runbook''s backup rule'                                               = @{
        Where = 'the Ceph server, the caller''s account from moto_server''s STS (Ceph has no GetCallerIdentity)'; Session = 'ops'; NoRule = $true
        Check = { param($run) (Get-S3BackupReplicationRule -ProfileName admin -Bucket $run.Fixture.Pairs['dev'].Source).RuleId | Should -Be 'ReplicateToBackup' }
    }
    'New-S3BackupReplicationRule: Example 2: Preview a cross-account rule with owner override and KMS'                 = @{
        NoRule = $true
        Check  = { param($run) Get-S3BackupReplicationRule -ProfileName admin -Bucket $run.Fixture.Pairs['prod'].Source | Should -BeNullOrEmpty }
    }
    'New-S3BackupReplicationRule: Example 3: Replicate one instrument''s data, turning versioning on if needed'         = @{
        NoRule = $true; UnversionedSource = $true
        Check  = { param($run)
            $source = $run.Fixture.Pairs['dev'].Source
            (Get-S3BackupReplicationRule -ProfileName admin -Bucket $source).RuleId | Should -Be 'mag-backup'
            Use-S3Client { param($client) $client.GetBucketVersioningAsync($source).GetAwaiter().GetResult().VersioningConfig.Status.Value | Should -Be 'Enabled' }
        }
    }
    'Remove-BackupRoleTrustPrincipal: Example 1: Offboard an operator'                                                 = @{
        Confirm = $true; Note = 'answered yes: the example asks before writing'
        Setup   = { param($f) $f.Roles['SdsDataManager-dev-BackupRole'] = New-ExampleRole 'SdsDataManager-dev-BackupRole' -TrustedPrincipal $Tester.Arn, $Hartnett.Arn }
        Check   = { param($run) Get-ExampleTrust $run.Fixture.Roles['SdsDataManager-dev-BackupRole'].Name | Should -Not -Contain $Hartnett.Arn }
    }
    'Remove-BackupRoleTrustPrincipal: Example 2: Clean up principals of deleted users, unattended'                     = @{
        Note  = 'the role trusts a unique id, as IAM shows a deleted user'
        Setup = { param($f) $f.Roles['BackupRole'] = New-ExampleRole 'BackupRole' -TrustedPrincipal $Tester.Arn, $OrphanId }
        Check = { param($run)
            $trusted = Get-ExampleTrust $run.Fixture.Roles['BackupRole'].Name
            $trusted | Should -Not -Contain $OrphanId
            $trusted | Should -Contain $Tester.Arn
        }
    }
    'Remove-S3BackupReplicationRule: Example 1: Remove an old rule after confirming'                                   = @{
        Confirm = $true; Note = 'answered yes: the example asks before writing'
        Setup   = { param($f)
            $pair = $f.Pairs['dev']
            Set-ExampleRule -Bucket $pair.Source -Rule @{ Id = 'ReplicateToBackup'; Destination = $pair.Backup }, @{ Id = 'old-backup'; Destination = $pair.Backup }
        }
        Check   = { param($run) (Get-S3BackupReplicationRule -ProfileName admin -Bucket $run.Fixture.Pairs['dev'].Source).RuleId | Should -Be 'ReplicateToBackup' }
    }
    'Remove-S3BackupReplicationRule: Example 2: Remove every disabled rule, unattended'                                = @{
        Setup = { param($f)
            $pair = $f.Pairs['dev']
            Set-ExampleRule -Bucket $pair.Source -Rule @{ Id = 'ReplicateToBackup'; Destination = $pair.Backup }, @{ Id = 'paused'; Destination = $pair.Backup; Disabled = $true }
        }
        Check = { param($run) (Get-S3BackupReplicationRule -ProfileName admin -Bucket $run.Fixture.Pairs['dev'].Source).RuleId | Should -Be 'ReplicateToBackup' }
    }
    'Save-S3BackupObject: Example 1: Download one instrument''s files from the backup'                                 = @{
        Check = { param($run) (Get-ChildItem (Join-Path $run.Fixture.Folder 'restore/imap/mag/l1a/2025/01') -File).Count | Should -Be 5 }
    }
    'Save-S3BackupObject: Example 2: Yesterday''s versions of the level-1a files'                                      = @{
        Note  = 'the fixture did not exist yesterday, so nothing is downloaded'
        Check = { param($run) $run.Output | Should -BeNullOrEmpty }
    }
    'Save-S3BackupObject: Example 3: The runbook''s permission check by download'                                      = @{
        Note  = 'the temporary folder is the test''s own'
        Check = { param($run) (Get-ChildItem (Join-Path $run.Fixture.Folder 'check') -Recurse -File).Name | Should -Be (Split-Path $ExampleKeys.Mag05 -Leaf) }
    }
    'Set-BackupRoleProfile: Example 1: Add the backup-role profile from the runbook'                                   = @{
        Check = { param($run) (Get-AwsConfigProfile -Name backup-role).RoleArn | Should -Be $run.Fixture.Roles['SdsDataManager-dev-BackupRole'].Arn }
    }
    'Set-BackupRoleProfile: Example 2: Preview the change first'                                                       = @{
        Check = { param($run) (Get-AwsConfigProfile -Name backup-role).RoleArn | Should -Be $SuiteRole.Arn }
    }
    'Set-BackupRoleProfile: Example 3: Onboard several operators'' role profiles from a CSV file'                      = @{
        Note  = '~ is the test''s home'
        Setup = { param($f)
            @([pscustomobject]@{ Name = 'ops-a'; RoleArn = $SuiteRole.Arn; SourceProfile = 'imap' }, [pscustomobject]@{ Name = 'ops-b'; RoleArn = $SuiteRole.Arn; SourceProfile = 'imap' }) |
                Export-Csv (Join-Path $f.Folder 'backup-profiles.csv')
        }
        Check = { param($run)
            $run.Output.Name | Should -Be @('ops-a', 'ops-b')
            (Get-AwsConfigProfile -Name ops-b).SourceProfile | Should -Be 'imap'
        }
    }
    'Set-S3BackupBatchJob: Example 1: Put a restore ahead of everything else'                                          = @{
        Setup = { param($f) $f.Variables.id = (New-ExampleJob $f).JobId }
        Check = { param($run) $run.Output.Priority | Should -Be 100 }
    }
    'Set-S3BackupBatchJob: Example 2: Lower the priority of every job awaiting confirmation'                           = @{
        Setup = { param($f) $f.Variables.expected = (New-ExampleJob $f).JobId }
        Check = { param($run) ($run.Output | Where-Object JobId -EQ $run.Fixture.Variables.expected).Priority | Should -Be 1 }
    }
    'Set-S3BackupReplicationRule: Example 1: Pause backup replication'                                                 = @{
        Check = { param($run) (Get-S3BackupReplicationRule -ProfileName admin -Bucket $run.Fixture.Pairs['dev'].Source).Status | Should -Be 'Disabled' }
    }
    'Set-S3BackupReplicationRule: Example 2: Move the backups to a colder storage class, previewing first'             = @{
        Check = { param($run) (Get-S3BackupReplicationRule -ProfileName admin -Bucket $run.Fixture.Pairs['dev'].Source).StorageClass | Should -Not -Be 'DEEP_ARCHIVE' }
    }
    'Start-S3BackupBatchReplication: Example 1: Backfill everything the rule covers that was never replicated'          = @{
        Check = { param($run)
            $run.Output.Status | Should -Be 'Complete'
            Get-ExampleKey $run.Fixture.Pairs['dev'].Backup | Should -Contain $ExampleKeys.New
        }
    }
    'Start-S3BackupBatchReplication: Example 2: Replicate what a compare found missing'                                = @{
        Setup = { param($f) $f.Variables.role = (Get-ExampleRole $f 'BatchReplication').Arn }
        Check = { param($run) $run.Output.TotalTasks | Should -Be 1 -Because 'one key is missing from the backup' }
    }
    'Start-S3BackupBatchRestore: Example 1: Restore a whole bucket through Batch Operations, checking the job before it runs' = @{
        Check = { param($run)
            $run.Output.Status | Should -Be 'Complete'
            Get-ExampleKey $run.Fixture.Pairs['dev'].Source | Should -Contain $ExampleKeys.Mag07b
        }
    }
    'Start-S3BackupBatchRestore: Example 2: Retry the failed tasks here'                                               = @{
        Setup = { param($f) $f.Variables.job = New-ExampleJob $f -Run -FailOne }
        Check = { param($run)
            $run.Output.Key | Should -Be $run.Fixture.Failing
            $run.Output.Action | Should -Be 'Copied'
        }
    }
    'Start-S3BackupBatchRestore: Example 3: Restore a selection made with Get-S3BackupObject'                          = @{
        PointInTime = $true
        Setup = { param($f) $f.Variables.role = (Get-ExampleRole $f 'BatchRestore').Arn }
        Check = { param($run) $run.Output.ExpectedTasks | Should -Be 5 -Because 'Mag05 as it was at T, Mag06 (deleted since), Mag07, its v002 and Mag08' }
    }
    'Start-S3BackupBatchRestore: Example 4: Preview'                                                                   = @{
        PointInTime = $true
        Setup = { param($f) $f.Variables.role = (Get-ExampleRole $f 'BatchRestore').Arn }
    }
    'Stop-S3BackupBatchJob: Example 1: Cancel a job that was started by mistake'                                       = @{
        Confirm = $true; Note = 'answered yes: the example asks before cancelling'
        Setup = { param($f) $f.Variables.id = (New-ExampleJob $f).JobId }
        Check = { param($run) $run.Output.Status | Should -BeIn 'Cancelling', 'Cancelled' }
    }
    'Stop-S3BackupBatchJob: Example 2: Cancel every job awaiting confirmation'                                         = @{
        Setup = { param($f) $f.Variables.expected = (New-ExampleJob $f).JobId }
        Check = { param($run) ($run.Output | Where-Object JobId -EQ $run.Fixture.Variables.expected).Status | Should -BeIn 'Cancelling', 'Cancelled' }
    }
    'Sync-S3BackupToSource: Example 7: Roll the source back to the moment before a bad processing run'                = @{
        PointInTime = $true
        Check       = { param($run)
            $rows = Import-Csv (Join-Path $run.Fixture.Folder 'rollback.csv')
            ($rows | Where-Object Key -EQ $ExampleKeys.Late).Action | Should -Be 'Deleted'
            ($rows | Where-Object Key -EQ $ExampleKeys.Mag06).Action | Should -Be 'Copied'
            [Text.Encoding]::UTF8.GetString((Get-TestObjectBytes -Bucket $run.Fixture.Pairs['dev'].Source -Key $ExampleKeys.Mag05)) | Should -Be 'backup of Mag05'
        }
    }
    'Sync-S3BackupToSource: Example 1: The runbook''s full restore with the backup role'                               = @{
        Check = { param($run) Get-ExampleKey $run.Fixture.Pairs['dev'].Source | Should -Contain $ExampleKeys.Mag08 }
    }
    'Sync-S3BackupToSource: Example 3: A filtered restore through the pipeline'                                        = @{
        Check = { param($run)
            $run.Output | Should -BeNullOrEmpty -Because 'every chosen file was copied'
            Get-ExampleKey $run.Fixture.Pairs['dev'].Source imap/mag/ | Should -Contain $ExampleKeys.Mag06
        }
    }
    'Sync-S3BackupToSource: Example 4: Restore what a compare found'                                                   = @{
        Check = { param($run) $run.Output.Action | Should -Be 'Copied' }
    }
    'Sync-S3BackupToSource: Example 5: Review a plan, then carry out exactly what was reviewed'                        = @{
        Check = { param($run)
            (Import-Csv (Join-Path $run.Fixture.Folder 'plan.csv')).Action | Should -Be 'WouldCopy'
            $run.Output.Action | Should -Be 'Copied'
        }
    }
    'Sync-S3BackupToSource: Example 6: Restore across accounts with two sets of credentials'                           = @{
        Note  = 'one Ceph account stands in for both'
        Check = { param($run) ($run.Output | Where-Object Action -EQ Copied).Count | Should -Be 5 }
    }
    'Test-S3BackupAccess: Example 1: Check the backup role''s access to both buckets'                                  = @{
        Check = { param($run) $run.Output | Where-Object Outcome -In 'Denied', 'Error' | Should -BeNullOrEmpty }
    }
    'Test-S3BackupAccess: Example 2: Also prove write access, as the runbook''s upload test did'                       = @{
        Check = { param($run) ($run.Output | Where-Object Check -EQ Write).Outcome | Should -Be 'Allowed' }
    }
    'Test-S3BackupAccess: Example 4: Before undoing a restore, check the role may remove versions'                     = @{
        Check = { param($run) ($run.Output | Where-Object Check -EQ Versioning).Detail | Should -Match 'Enabled' }
    }
    'Test-S3BackupReplication: Example 1: Is replication of the dev bucket working?'                                    = @{
        Check = { param($run) ($run.Output | Where-Object Check -EQ Rule).Outcome | Should -Be 'Passed' }
    }
    'Test-S3BackupReplication: Example 2: Prove it with a canary'                                                       = @{
        Note  = 'the local server never replicates: the canary fails after 2 s and is removed'
        Setup = { param($f) $f.Replace['00:10:00'] = '00:00:02' }
        Check = { param($run)
            ($run.Output | Where-Object Check -EQ Canary).Outcome | Should -Be 'Failed'
            Get-S3BackupObject -ProfileName admin -Bucket $run.Fixture.Pairs['dev'].Source -Prefix s3replication-canary/ -AllVersions -WarningAction SilentlyContinue | Should -BeNullOrEmpty
        }
    }
    'Test-S3BackupReplication: Example 3: Include the backup account''s side'                                           = @{
        Note  = 'one Ceph account stands in for both'
        Check = { param($run) ($run.Output | Where-Object Check -EQ Versioning).Outcome | Should -Be 'Passed', 'Passed' }
    }
    'Undo-S3BackupRestore: Example 1: Undo a restore straight from its records'                                        = @{
        Confirm = $true; Note = 'answered yes: the second undo asks before removing'
        Check   = { param($run) Get-ExampleKey $run.Fixture.Pairs['dev'].Source imap/mag/ | Should -Be $ExampleKeys.Mag05 }
    }
    'Undo-S3BackupRestore: Example 2: Keep a rollback''s records, and undo it later from the file'                     = @{
        PointInTime = $true
        Check       = { param($run)
            Get-ExampleKey $run.Fixture.Pairs['dev'].Source imap/mag/ | Should -Contain $ExampleKeys.Late
            [Text.Encoding]::UTF8.GetString((Get-TestObjectBytes -Bucket $run.Fixture.Pairs['dev'].Source -Key $ExampleKeys.Mag05)) | Should -Be 'overwritten by the bad run'
        }
    }
    'Undo-S3BackupRestore: Example 3: Undo only part of a restore, in a runbook'                                       = @{
        Note  = 'restore.clixml from a fixture restore'
        Setup = { param($f)
            $pair = Get-ExamplePair $f 'dev'
            Sync-S3BackupToSource -ProfileName admin -BackupBucket $pair.Backup -SourceBucket $pair.Source -Prefix imap/ | Export-Clixml (Join-Path $f.Folder 'restore.clixml')
        }
        Check = { param($run)
            $run.Output.Transferred | Should -Be 1 -Because 'the restore copied one swe file'
            $run.Output.Failed | Should -Be 0 -Because 'nothing was left alone'
            [Text.Encoding]::UTF8.GetString((Get-TestObjectBytes -Bucket $run.Fixture.Pairs['dev'].Source -Key $ExampleKeys.Swe)) | Should -Be 'swe rewritten by a bad run'
        }
    }
    'Wait-S3BackupBatchJob: Example 1: Wait for a job and fail a runbook when tasks failed'                            = @{
        Setup = { param($f) $f.Variables.id = (New-ExampleJob $f -Run:$false).JobId; Approve-S3BackupBatchJob -ProfileName ops -JobId $f.Variables.id | Out-Null }
        Check = { param($run) Test-Path (Join-Path $run.Fixture.Folder 'failed.csv') | Should -BeFalse }
    }
    'Wait-S3BackupBatchJob: Example 2: Wait for everything started today'                                              = @{
        Setup = { param($f) $f.Variables.expected = (New-ExampleJob $f).JobId; Approve-S3BackupBatchJob -ProfileName ops -JobId $f.Variables.expected | Out-Null }
        Check = { param($run) ($run.Output | Where-Object JobId -EQ $run.Fixture.Variables.expected).Status | Should -Be 'Complete' }
    }
    'Write-S3BackupObject: Example 1: The runbook''s permission check by upload'                                       = @{
        Setup = { param($f) Write-RandomFile (Join-Path $f.Folder 'check/probe.txt') 16 }
        Check = { param($run) Get-ExampleKey $run.Fixture.Pairs['dev'].Source tmp/ | Should -Be 'tmp/probe.txt' }
    }
    'Write-S3BackupObject: Example 2: Put a downloaded folder back'                                                    = @{
        Check = { param($run) Get-ExampleKey $run.Fixture.Pairs['dev'].Source imap/mag/ | Should -Contain $ExampleKeys.Mag07b }
    }
    'Write-S3BackupObject: Example 3: Only the CDF files of a folder, under a prefix'                                   = @{
        Setup = { param($f)
            Write-RandomFile (Join-Path $f.Folder 'l1a/2025/02/imap_mag_l1a_norm-mago_20250201_v001.cdf') 32
            Write-RandomFile (Join-Path $f.Folder 'l1a/2025/02/notes.txt') 8
        }
        Check = { param($run) Get-ExampleKey $run.Fixture.Pairs['dev'].Source imap/mag/l1a/imap_ | Should -Be 'imap/mag/l1a/imap_mag_l1a_norm-mago_20250201_v001.cdf' }
    }
    'Add-Operator.ps1: .EXAMPLE 1'                                                                                     = @{
        Check = { param($run) (Get-AwsConfigProfile -Name backup-role).RoleArn | Should -Be $SuiteRole.Arn -Because '-WhatIf changes nothing' }
    }
    'Nightly-BackupCheck.ps1: .EXAMPLE 1'                                                                              = @{
        ExitCode = 3
        Check    = { param($run) (Import-Csv (Join-Path $run.Fixture.Folder 'report.csv') | Where-Object State -EQ MissingInBackup).Key | Should -Be $ExampleKeys.New }
    }
    'Restore-InstrumentDay.ps1: .EXAMPLE 1'                                                                            = @{
        Check = { param($run)
            $run.Output | Should -Contain '4 backup object(s) for mag l1a from 2025-01-05 to 2025-01-07'
            Get-ExampleKey $run.Fixture.Pairs['dev'].Source imap/mag/ | Should -Be $ExampleKeys.Mag05 -Because '-WhatIf copies nothing'
        }
    }
    'Restore-InstrumentDay.ps1: .EXAMPLE 2'                                                                            = @{
        Note  = 'the fixture did not exist two days ago, so nothing is restored'
        Check = { param($run) $run.Output | Should -Contain '0 backup object(s) for swe l0 from 2025-01-01 to 2025-01-31' }
    }
    'Restore-InstrumentDay.ps1: .EXAMPLE 3'                                                                            = @{
        PointInTime = $true
        Check       = { param($run) $run.Output | Should -Contain '4 backup object(s) for mag l1a from 2025-01-05 to 2025-01-07' }
    }
}
