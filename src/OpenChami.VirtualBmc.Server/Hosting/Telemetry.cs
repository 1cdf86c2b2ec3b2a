using System.Diagnostics.Metrics;
using OpenChami.VirtualBmc.Server.Security;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Server.Hosting;

/// <summary>
/// The service's own metrics (System.Diagnostics.Metrics; prometheus-net exports them with the HTTP metrics on the
/// admin listener): slot power states, validation findings per slot, failed logins and lockouts.
/// </summary>
public sealed class Telemetry : IDisposable
{
    public const string MeterName = "OpenChami.VirtualBmc";
    private readonly Meter _meter = new(MeterName);
    private readonly MeterListener _libvirt = new();

    // prometheus-net's own instruments for what arrives as pushed measurements (the libvirt adapter's Meter).
    private static readonly Prometheus.Histogram LibvirtDuration = Prometheus.Metrics.CreateHistogram(
        "openchami_virtualbmc_libvirt_call_duration_seconds", "Time libvirt took for a slot operation",
        new Prometheus.HistogramConfiguration
        {
            LabelNames = ["operation", "outcome"],
            Buckets = Prometheus.Histogram.ExponentialBuckets(0.0001, 4, 10),
        });

    private static readonly Prometheus.Counter LibvirtErrors = Prometheus.Metrics.CreateCounter(
        "openchami_virtualbmc_libvirt_call_errors_total", "Slot operations libvirt failed, by libvirt error code",
        new Prometheus.CounterConfiguration { LabelNames = ["operation", "code"] });

    /// <summary>Instruments are exported as openchami_virtualbmc_&lt;name&gt;.</summary>
    public Telemetry(NodeState node, Authenticator authenticator)
    {
        _meter.CreateObservableCounter("auth_failures", () => authenticator.FailureCounts.Failed, description: "Failed logins (Basic or session)");
        _meter.CreateObservableCounter("auth_lockouts", () => authenticator.FailureCounts.Lockouts, description: "Failed logins that locked an account");
        _meter.CreateObservableGauge("slot_power_state", () => node.Slots.SelectMany(s => Enum.GetValues<PowerState>().Select(state =>
            new Measurement<int>(s.PowerState == state ? 1 : 0, new("slot", s.Name), new("state", state.ToString())))),
            description: "1 for the slot's current power state (from the event-fed cache)");
        _meter.CreateObservableGauge("slot_usable", () => node.Slots.Select(s => new Measurement<int>(s.Health.Usable ? 1 : 0, new KeyValuePair<string, object?>("slot", s.Name))),
            description: "1 when the slot passed host validation");
        _meter.CreateObservableGauge("validation_findings", () => node.Slots.SelectMany(s => s.Health.Findings.GroupBy(f => f.Severity)
            .Select(g => new Measurement<int>(g.Count(), new("slot", s.Name), new("severity", g.Key.ToString())))),
            description: "Host validation findings per slot and severity");

        _libvirt.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "OpenChami.VirtualBmc.Libvirt")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _libvirt.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            LibvirtDuration.WithLabels(Tag(tags, "operation"), Tag(tags, "outcome")).Observe(value));
        _libvirt.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            LibvirtErrors.WithLabels(Tag(tags, "operation"), Tag(tags, "code")).Inc(value));
        _libvirt.Start();
    }

    private static string Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return Convert.ToString(tag.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
            }
        }
        return "";
    }

    public void Dispose()
    {
        _libvirt.Dispose();
        _meter.Dispose();
    }
}

/// <summary>Sends WATCHDOG=1 to systemd at half the unit's WatchdogSec while the service runs (no-op outside systemd).</summary>
public sealed class SystemdWatchdog(IServiceProvider services) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // AddSystemd registers the notifier only when the process runs under systemd.
        var notifier = services.GetService<Microsoft.Extensions.Hosting.Systemd.ISystemdNotifier>();
        if (notifier is null || !notifier.IsEnabled
            || !long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), System.Globalization.CultureInfo.InvariantCulture, out var usec) || usec <= 0)
        {
            return;
        }
        using var timer = new PeriodicTimer(TimeSpan.FromMicroseconds(usec / 2.0));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            notifier.Notify(new Microsoft.Extensions.Hosting.Systemd.ServiceState("WATCHDOG=1"));
        }
    }
}
