using OpenChami.VirtualBmc.Console;

namespace OpenChami.VirtualBmc.Server.Tests.Console;

/// <summary>A console gate with fixed accounts (user and password → access); records every event.</summary>
internal sealed class RecordingConsoleGate(IReadOnlyDictionary<(string User, string Password), ConsoleAccess> accounts) : IConsoleGate
{
    private readonly List<ConsoleEvent> _events = [];

    public IReadOnlyList<ConsoleEvent> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public Task<ConsoleAccess> LoginAsync(string userName, string password, string slot, string source, CancellationToken cancellationToken) =>
        Task.FromResult(accounts.GetValueOrDefault((userName, password), ConsoleAccess.Rejected));

    public void Record(ConsoleEvent consoleEvent)
    {
        lock (_events)
        {
            _events.Add(consoleEvent);
        }
    }
}
