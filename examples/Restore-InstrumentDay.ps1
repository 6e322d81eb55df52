#Requires -Version 7.4
#Requires -Modules S3Replication

<#
.SYNOPSIS
    Ad-hoc restore of one instrument's files for a range of days, from the backup to the source bucket.

.DESCRIPTION
    Selects the backup objects under imap/<instrument>/<level>/<yyyy>/<MM>/ whose file names carry a date in the
    range (imap_mag_l1a_norm-mago_20250107_v001.cdf), optionally as the backup was at a past moment, previews the
    restore and, unless -WhatIf is given, runs it. Prints one line per object copied and a summary.

.EXAMPLE
    ./Restore-InstrumentDay.ps1 -Instrument mag -Level l1a -From 2025-01-05 -To 2025-01-07 -WhatIf

.EXAMPLE
    ./Restore-InstrumentDay.ps1 -Instrument swe -Level l0 -From 2025-01-01 -To 2025-01-31 -AsOf (Get-Date).AddDays(-2)

.EXAMPLE
    ./Restore-InstrumentDay.ps1 -Instrument mag -Level l1a -From '5 Jan 2025' -To '7 Jan 2025' -AsOf '2026-12-01T22:00:00Z' -WhatIf

    Dates are read as the module's cmdlets read -AsOf: ISO 8601 or a month name. '01/03/2025' is refused, since it
    names 3 January or 1 March depending on where you live.
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)] [string] $Instrument,
    [Parameter(Mandatory)] [string] $Level,
    # Dates as the module's cmdlets read -AsOf: a [datetime], or text in ISO 8601 (2025-01-05, 2026-12-01T22:00:00Z) or
    # with a month name (5 Jan 2025). A plain [datetime] parameter would read '01/03/2025' month-first (3 January)
    # without a word; the module's reader refuses it as naming two days. Every date is read before anything connects.
    [Parameter(Mandatory)] [S3Replication.Transfer.PointInTime()] [datetime] $From,
    [Parameter(Mandatory)] [S3Replication.Transfer.PointInTime()] [datetime] $To,
    [string] $BackupBucket = 'sds-data-dev-backup',
    [string] $SourceBucket = 'sds-data-dev',
    [string] $ProfileName = 'backup-role',
    [S3Replication.Transfer.PointInTime()] [datetime] $AsOf
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

Connect-S3Backup -ProfileName $ProfileName

$days = for ($day = $From.Date; $day -le $To.Date; $day = $day.AddDays(1)) { $day }
$listing = @{ Bucket = $BackupBucket; Include = $days.ForEach({ "*_$($_.ToString('yyyyMMdd'))_*" }) }
if ($PSBoundParameters.ContainsKey('AsOf')) { $listing.AsOf = $AsOf }

# One listing per month keeps the prefix (and so the listing) as narrow as S3 allows.
$months = $days | ForEach-Object { $_.ToString('yyyy/MM') } | Select-Object -Unique
$objects = foreach ($month in $months) { Get-S3BackupObject @listing -Prefix "imap/$Instrument/$Level/$month/" }
Write-Output "$(@($objects).Count) backup object(s) for $Instrument $Level from $($From.ToString('yyyy-MM-dd')) to $($To.ToString('yyyy-MM-dd'))"

$results = $objects | Sync-S3BackupToSource -SourceBucket $SourceBucket -IncludeSkipped -WhatIf:$WhatIfPreference
$results | Sort-Object Key | Format-Table Action, Reason, Key -AutoSize
$results | Group-Object Action | ForEach-Object { Write-Output ('{0,-12} {1,6}' -f $_.Name, $_.Count) }
