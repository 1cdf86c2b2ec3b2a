using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace OpenChami.VirtualBmc.Server.Hosting;

/// <summary>
/// Serilog to the console, one line per event. In a terminal: time, level, source, message. Under systemd
/// (JOURNAL_STREAM set) each line starts with a syslog priority (&lt;6&gt;) and no time, since journald stamps lines itself.
/// With --log-format json: compact JSON lines (CLEF) for log shippers.
/// </summary>
public static class Logging
{
    public static Serilog.Core.Logger Create(LogEventLevel level, bool json)
    {
        var config = new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            // ASP.NET Core's per-request "Request starting/finished" source writes nothing above Information, yet while any
            // level of it is enabled the host starts an Activity for every request (trace ids nobody reads here): off.
            .MinimumLevel.Override("Microsoft.AspNetCore.Hosting.Diagnostics", LevelAlias.Off)
            .Enrich.FromLogContext();
        if (json)
        {
            return config.WriteTo.Console(new CompactJsonFormatter()).CreateLogger();
        }
        var underJournald = Environment.GetEnvironmentVariable("JOURNAL_STREAM") is { Length: > 0 };
        var template = underJournald
            ? "<{SyslogPriority}>{SourceContextShort}: {Message:lj}{NewLine}{Exception}"
            : "{Timestamp:HH:mm:ss.fff} {Level:u3} {SourceContextShort}: {Message:lj}{NewLine}{Exception}";
        return config
            .Enrich.With<ShortContextEnricher>()
            .WriteTo.Console(outputTemplate: template, formatProvider: System.Globalization.CultureInfo.InvariantCulture)
            .CreateLogger();
    }

    public static LogEventLevel ParseLevel(string? text) => text?.ToLowerInvariant() switch
    {
        null => LogEventLevel.Information,
        "debug" => LogEventLevel.Debug,
        "information" or "info" => LogEventLevel.Information,
        "warning" or "warn" => LogEventLevel.Warning,
        "error" => LogEventLevel.Error,
        "verbose" or "trace" => LogEventLevel.Verbose,
        _ => throw new Cli.UsageException($"unknown log level '{text}'; use debug, information, warning or error"),
    };

    /// <summary>Adds the last segment of the source type and the syslog priority of the level.</summary>
    private sealed class ShortContextEnricher : Serilog.Core.ILogEventEnricher
    {
        public void Enrich(LogEvent logEvent, Serilog.Core.ILogEventPropertyFactory propertyFactory)
        {
            var context = logEvent.Properties.TryGetValue("SourceContext", out var value) && value is ScalarValue { Value: string s }
                ? s[(s.LastIndexOf('.') + 1)..]
                : "vbmc";
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("SourceContextShort", context));
            var priority = logEvent.Level switch
            {
                LogEventLevel.Fatal => 2,
                LogEventLevel.Error => 3,
                LogEventLevel.Warning => 4,
                LogEventLevel.Information => 6,
                _ => 7,
            };
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("SyslogPriority", priority));
        }
    }
}
