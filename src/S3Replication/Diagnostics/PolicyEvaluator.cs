using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using S3Replication.Core;

namespace S3Replication.Diagnostics;

internal enum PolicyDecision { Allowed, ExplicitDeny, ImplicitDeny }

/// <summary>
/// What the policies decide for one action on one resource, and the statement that decided it (null for an implicit
/// deny). ConditionsNotEvaluated names statements (by Sid, else "statement N of policy") that matched the action,
/// resource and principal but whose Condition or policy variable was not evaluated, or a Deny whose NotPrincipal
/// spares the role (AWS may also compare the role's session, which is not known here): an Allow that decided only
/// under its conditions, or a Deny that might apply. CoversPart names statements whose resources name only part of a
/// resource that ends in * (arn:aws:s3:::b/logs/* of arn:aws:s3:::b/*): a Deny that refuses part of it, or, when
/// nothing allows all of it, an Allow that grants only part.
/// </summary>
internal sealed record PolicyVerdict(PolicyDecision Decision, string? DecidingPolicy, string? DecidingStatement, IReadOnlyList<string> ConditionsNotEvaluated)
{
    public IReadOnlyList<string> CoversPart { get; init; } = Array.Empty<string>();
}

/// <summary>
/// IAM's evaluation of allow and deny within one policy type
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): a matching Deny wins
/// over any Allow, no matching Allow is an implicit deny. Conditions and the request's context are not known here, so
/// a statement with a Condition is taken to match and listed in the verdict; a Deny matches only without one. Pure.
/// </summary>
internal static class PolicyEvaluator
{
    /// <summary>How surely a statement applies to the request.</summary>
    private enum Fit
    {
        None,

        /// <summary>Only a policy variable in its resources could make it apply: not counted, listed.</summary>
        Unresolved,

        /// <summary>It applies if its Condition holds: counted for an Allow, not for a Deny, listed.</summary>
        UnderCondition,

        /// <summary>Its resources name part of the resource asked about: not counted, listed.</summary>
        Part,
        Certain,
    }

    private sealed record Candidate(IamPolicyDocument Policy, PolicyStatement Statement, Fit Fit)
    {
        public string NotEvaluatedLabel => Statement.Sid ?? $"statement {Statement.Number} of {Policy.Name}";
    }

    /// <summary>Identity-based policies (a role's inline and attached ones): Allow or Deny for one action on one resource.</summary>
    public static PolicyVerdict EvaluateIdentity(IEnumerable<IamPolicyDocument> policies, string action, string resource) =>
        Decide(policies.SelectMany(policy => policy.Statements.Select(statement =>
            new Candidate(policy, statement, FitOf(statement, action, resource, principalNamed: true)))));

    /// <summary>
    /// A resource-based policy (a bucket policy) for one principal, such as arn:aws:iam::111122223333:role/r. A
    /// statement that grants its whole account counts; across accounts the role also needs its own identity policy,
    /// which <see cref="EvaluateIdentity"/> checks.
    /// </summary>
    public static PolicyVerdict EvaluateResource(IamPolicyDocument policy, string principalArn, string action, string resource)
    {
        var principal = RequestingPrincipal.Of(principalArn);
        return Decide(policy.Statements.Select(statement => new Candidate(policy, statement, statement.Principals switch
        {
            null => Fit.None,
            var named when principal.IsNamedBy(named) => FitOf(statement, action, resource, principalNamed: true),
            // The role is spared by name; whether AWS also spares its session (which it checks too) is not known here.
            { IsNot: true } when statement.Effect == PolicyEffect.Deny => FitOf(statement, action, resource, principalNamed: true) == Fit.None ? Fit.None : Fit.Unresolved,
            _ => Fit.None,
        })));
    }

    private static Fit FitOf(PolicyStatement statement, string action, string resource, bool principalNamed)
    {
        var actionNamed = statement.Actions.Patterns.Any(pattern => pattern.Matches(action));
        if (!principalNamed || actionNamed == statement.Actions.IsNot)
        {
            return Fit.None;
        }
        var fit = ResourceFit(statement.Resources, resource);
        return fit == Fit.Certain && statement.HasCondition ? Fit.UnderCondition : fit;
    }

    private static Fit ResourceFit(PatternElement resources, string resource)
    {
        var matching = resources.Patterns.Where(pattern => pattern.Matches(resource)).ToList();
        var named = matching.Any(pattern => !pattern.HasVariable) ? Fit.Certain : matching.Count > 0 ? Fit.Unresolved : Fit.None;
        if (!resources.IsNot)
        {
            return named == Fit.None && resource.EndsWith("*", StringComparison.Ordinal)
                && resources.Patterns.Any(pattern => pattern.MatchesSomethingStartingWith(resource.Substring(0, resource.Length - 1)))
                ? Fit.Part
                : named;
        }
        // NotResource: a resource it surely names is left out, one only a variable might name is unresolved.
        return named switch
        {
            Fit.Certain => Fit.None,
            Fit.Unresolved => Fit.Unresolved,
            _ => Fit.Certain,
        };
    }

    private static PolicyVerdict Decide(IEnumerable<Candidate> candidates)
    {
        var applying = candidates.Where(candidate => candidate.Fit != Fit.None).ToList();
        var deny = applying.FirstOrDefault(candidate => candidate.Statement.Effect == PolicyEffect.Deny && candidate.Fit == Fit.Certain);
        if (deny is not null)
        {
            return new PolicyVerdict(PolicyDecision.ExplicitDeny, deny.Policy.Name, deny.Statement.Label, Array.Empty<string>());
        }
        var allows = applying.Where(candidate => candidate.Statement.Effect == PolicyEffect.Allow && candidate.Fit is Fit.Certain or Fit.UnderCondition).ToList();
        var allow = allows.FirstOrDefault(candidate => candidate.Fit == Fit.Certain) ?? allows.FirstOrDefault();
        var decision = allow is null ? PolicyDecision.ImplicitDeny : PolicyDecision.Allowed;
        // Listed: what could still change the outcome. A Deny only matters to an allowed request; an Allow only while
        // no unconditional Allow has decided.
        var notEvaluated = applying
            .Where(candidate => candidate.Fit is Fit.Unresolved or Fit.UnderCondition
                && (candidate.Statement.Effect == PolicyEffect.Deny ? decision == PolicyDecision.Allowed : allow?.Fit != Fit.Certain))
            .Select(candidate => candidate.NotEvaluatedLabel)
            .ToList();
        var part = applying
            .Where(candidate => candidate.Fit == Fit.Part && (candidate.Statement.Effect == PolicyEffect.Deny || decision == PolicyDecision.ImplicitDeny))
            .Select(candidate => candidate.NotEvaluatedLabel)
            .ToList();
        return new PolicyVerdict(decision, allow?.Policy.Name, allow?.Statement.Label, notEvaluated) { CoversPart = part };
    }

    /// <summary>The principal a resource policy is asked about, and the values of a Principal element that name it.</summary>
    private sealed class RequestingPrincipal
    {
        private readonly string _arn;
        private readonly string _account;
        private readonly string _accountRoot;

        private RequestingPrincipal(string arn, string partition, string account)
        {
            _arn = arn;
            _account = account;
            _accountRoot = $"arn:{partition}:iam::{account}:root";
        }

        public static RequestingPrincipal Of(string arn)
        {
            var parts = arn.Split(':');
            return parts.Length >= 6 && parts[0] == "arn" && parts[2] == "iam"
                ? new RequestingPrincipal(arn, parts[1], parts[4])
                : throw new S3BackupException(ErrorId.InvalidRoleArn, ErrorCategory.InvalidArgument,
                    $"'{arn}' is not an IAM principal ARN such as arn:aws:iam::111122223333:role/name.", arn);
        }

        public bool IsNamedBy(PrincipalElement element) => element.IsNot ? !IsExceptedBy(element) : element.AwsPrincipals.Any(Names);

        /// <summary>"*", the principal itself, or its whole account (its ID or root ARN; S3-compatible servers may leave the account empty).</summary>
        private bool Names(string value) => value == "*" || value == _arn || NamesAccount(value);

        private bool NamesAccount(string value) => _account.Length > 0 && (value == _account || value == _accountRoot);

        /// <summary>
        /// AWS checks a NotPrincipal against the account first, then the role: a Deny with NotPrincipal spares a role
        /// only when the list names both, or everyone
        /// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
        /// </summary>
        private bool IsExceptedBy(PrincipalElement element) =>
            element.AwsPrincipals.Contains("*") || (element.AwsPrincipals.Any(NamesAccount) && element.AwsPrincipals.Contains(_arn));
    }
}
