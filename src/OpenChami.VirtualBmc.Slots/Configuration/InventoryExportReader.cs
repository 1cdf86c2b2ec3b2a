using System.Globalization;
using OpenChami.VirtualBmc.Slots.Inventory;

namespace OpenChami.VirtualBmc.Slots.Configuration;

/// <summary>
/// Maps a schema-valid inventory export to <see cref="DeviceInventoryExport"/>, checking what the schema cannot: a real
/// date, and no label, PCI address or serial listed twice (two entries for one device would make lookups ambiguous).
/// </summary>
internal static class InventoryExportReader
{
    public static DeviceInventoryExport Read(string file, TreeReader root, List<ConfigProblem> problems)
    {
        DateTimeOffset? generatedAt = null;
        if (root.String("generatedAt") is { } text)
        {
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
            {
                generatedAt = at;
            }
            else
            {
                problems.Add(new ConfigProblem(root["generatedAt"].Where, ProblemCodes.InvalidValue,
                    $"'generatedAt' is '{text}', which is not a date and time (RFC 3339, e.g. 2026-11-20T10:00:00Z)"));
            }
        }
        var firstSeen = new Dictionary<(string Field, string Value), int>();
        var devices = new List<InventoryDevice>();
        foreach (var d in root["devices"].Items())
        {
            var device = new InventoryDevice(
                d.String("label")!,
                d.String("pciAddress") is { } a ? PciAddress.Parse(a) : null,
                d.String("serialNumber"),
                d.String("partNumber"),
                d.String("manufacturer"),
                d.String("deviceType"),
                d.String("xname"),
                d.String("location"),
                d.Where);
            Unique(d, "label", device.Label, firstSeen, problems);
            Unique(d, "pciAddress", device.PciAddress?.ToString(), firstSeen, problems);
            Unique(d, "serialNumber", device.SerialNumber, firstSeen, problems);
            devices.Add(device);
        }
        return new DeviceInventoryExport(file, root.String("hostId")!, generatedAt, root.String("source"), devices, root["hostId"].Where);
    }

    private static void Unique(TreeReader device, string field, string? value, Dictionary<(string, string), int> firstSeen, List<ConfigProblem> problems)
    {
        if (value is null)
        {
            return;
        }
        var where = device[field].Where;
        if (firstSeen.TryGetValue((field, value), out var line))
        {
            problems.Add(new ConfigProblem(where, ProblemCodes.DuplicateName,
                $"{field} '{value}' is listed twice (first at line {line}); the export lists each device once"));
        }
        else
        {
            firstSeen[(field, value)] = where.Line;
        }
    }
}
