using System;
using System.Threading;

namespace S3Replication.Session;

/// <summary>
/// The running cmdlet invocation's prompt, carried with its async flow. Sessions are cached per runspace and shared
/// by every cmdlet that uses them, so a prompt for an MFA code must go to the invocation whose request needed the
/// credentials, not to whichever cmdlet last touched the session.
/// </summary>
internal static class Invocation
{
    private static readonly AsyncLocal<IMfaCodeSource?> Prompt = new();

    public static IMfaCodeSource? CurrentPrompt => Prompt.Value;

    /// <summary>Makes <paramref name="prompt"/> the current flow's prompt until the returned scope is disposed.</summary>
    public static IDisposable WithPrompt(IMfaCodeSource? prompt)
    {
        var previous = Prompt.Value;
        Prompt.Value = prompt;
        return new Scope(previous);
    }

    private sealed class Scope : IDisposable
    {
        private readonly IMfaCodeSource? _previous;

        public Scope(IMfaCodeSource? previous) => _previous = previous;

        public void Dispose() => Prompt.Value = _previous;
    }
}
