using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OpenChami.VirtualBmc.Libvirt;

/// <summary>
/// Latency and errors of the slot operations sent to libvirt (System.Diagnostics.Metrics: the server exports them
/// as openchami_virtualbmc_libvirt_*). Tagged by operation ("reset ForceOff", "insert virtual media", …) and outcome.
/// </summary>
internal static class LibvirtMetrics
{
    public const string MeterName = "OpenChami.VirtualBmc.Libvirt";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("libvirt_call_duration", unit: "s",
        description: "Time libvirt took for a slot operation (after the slot's turn came)");
    private static readonly Counter<long> Errors = Meter.CreateCounter<long>("libvirt_call_errors", description: "Slot operations libvirt failed, by libvirt error code");

    public static void Record(string operation, long startedTimestamp, LibvirtException? error)
    {
        var seconds = Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds;
        Duration.Record(seconds, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("outcome", error is null ? "ok" : "error"));
        if (error is not null)
        {
            Errors.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("code", error.Code));
        }
    }
}
