using System;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using S3Replication.Session;
using S3Replication.Trust;

namespace S3Replication.Commands.Trust;

/// <summary>Cmdlets that read or edit one role's trust policy.</summary>
public abstract class TrustCmdlet : S3BackupCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RoleNameCompleter))]
    public string RoleName { get; set; } = "";

    internal TrustService TrustServiceFor(AwsSession session) =>
        new(session.Iam, session.KnownIdentity?.Account, TrustService.DefaultSettleDelay);

    /// <summary>The text -WhatIf and -Confirm show: the whole policy with removed and added lines marked.</summary>
    internal static string Preview(string action, TrustPolicyDocument before, TrustPolicyDocument after)
    {
        static string[] Lines(TrustPolicyDocument policy) => policy.ToJson().Replace("\r\n", "\n").Split('\n');
        return action + Environment.NewLine + string.Join(Environment.NewLine, LineDiff.Of(Lines(before), Lines(after)).Select(line => "    " + line));
    }

    internal Task<bool> ConfirmEditAsync(string action, TrustPolicyDocument before, TrustPolicyDocument after) =>
        ReferenceEquals(before, after)
            ? Task.FromResult(false)
            : ShouldProcessAsync(Preview($"{action} (trust policy of role {RoleName}):", before, after), $"{action} in the trust policy of role {RoleName}?", MyInvocation.MyCommand.Name);
}
