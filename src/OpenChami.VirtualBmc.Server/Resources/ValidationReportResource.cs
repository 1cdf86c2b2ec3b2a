using System.Text.Json.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>
/// OEM resource: host validation of the slots this endpoint serves (a slot endpoint: its own slot only; the host
/// endpoint: every slot), so an operator sees exactly why a slot is not usable.
/// </summary>
public static partial class ValidationReportResource
{
    public sealed record Report(
        [property: JsonPropertyName("@odata.id")] string ODataId,
        [property: JsonPropertyName("@odata.type")] string ODataType,
        string Id,
        string Name,
        string Summary,
        IReadOnlyList<SlotReport> Slots);

    public sealed record SlotReport(string Slot, bool Usable, IReadOnlyList<FindingView> Findings);

    public sealed record FindingView(string Code, string Severity, string? Device, string Message);

    [JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonSerializable(typeof(Report))]
    internal sealed partial class ReportJsonContext : JsonSerializerContext;

    public static Report Build(EndpointScope scope)
    {
        var usable = scope.Slots.Count(s => s.Health.Usable);
        return new Report(Paths.ValidationReport, "#OpenCHAMIValidationReport.v1_0_0.OpenCHAMIValidationReport", "ValidationReport",
            "Host validation report", $"{usable} of {scope.Slots.Count} slots usable",
            scope.Slots.Select(s => new SlotReport(s.Name, s.Health.Usable,
                s.Health.Findings.Select(f => new FindingView(f.Code, f.Severity.ToString(), f.Device, f.Message)).ToList())).ToList());
    }

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapRedfishGet(Paths.ValidationReport, "Manager", context => AuditPageResource.Wanted(context)
            ? AuditPageResource.WriteAsync(context)
            : RedfishResponses.WriteAsync(context, Build(RequestScope.Of(context)), ReportJsonContext.Default.Report));
}
