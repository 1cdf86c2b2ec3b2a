using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Slots.State;
using OpenChami.VirtualBmc.Slots.Validation;

namespace OpenChami.VirtualBmc.Server.Events;

/// <summary>
/// Writes the service's own happenings to the event log: its start (with each slot's findings then) and stop, and
/// every finding a later host check raises or clears. Reloads, BMC resets and lockouts are recorded where they happen.
/// </summary>
public sealed class BmcEventProducers(BmcEventLog log, NodeState node) : IHostedService
{
    private readonly List<(SlotState State, Action<SlotStateSnapshot, SlotStateSnapshot> Handler)> _subscriptions = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        log.Record(BmcEventMessages.ServiceStarted(ServiceVersion.Text));
        foreach (var slot in node.Slots)
        {
            foreach (var finding in slot.Health.Findings)
            {
                log.Record(Raised(finding), slot.Name);
            }
            Action<SlotStateSnapshot, SlotStateSnapshot> handler = (before, after) => RecordChanges(slot.Name, before, after);
            slot.State.Changed += handler;
            _subscriptions.Add((slot.State, handler));
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var (state, handler) in _subscriptions)
        {
            state.Changed -= handler;
        }
        _subscriptions.Clear();
        log.Record(BmcEventMessages.ServiceStopped());
        return Task.CompletedTask;
    }

    /// <summary>A finding is the same finding while its code, device and message are; any other is raised or cleared.</summary>
    private void RecordChanges(string slot, SlotStateSnapshot before, SlotStateSnapshot after)
    {
        var old = before.Findings.Select(Key).ToHashSet();
        var now = after.Findings.Select(Key).ToHashSet();
        foreach (var finding in before.Findings.Where(f => !now.Contains(Key(f))).DistinctBy(Key))
        {
            log.Record(BmcEventMessages.SlotFindingCleared(slot, finding.Code, finding.Device ?? ""), slot);
        }
        foreach (var finding in after.Findings.Where(f => !old.Contains(Key(f))).DistinctBy(Key))
        {
            log.Record(Raised(finding), slot);
        }
    }

    private static (string, string?, string) Key(ValidationFinding f) => (f.Code, f.Device, f.Message);

    private static BmcEventMessage Raised(ValidationFinding f) =>
        BmcEventMessages.SlotFindingRaised(f.Slot, f.Code, f.Device ?? "", f.Message, f.Severity == FindingSeverity.Error);
}
