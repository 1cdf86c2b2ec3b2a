using System.Globalization;
using OpenChami.VirtualBmc.Redfish;

namespace OpenChami.VirtualBmc.Server.Protocol;

/// <summary>
/// The DSP0266 query parameters this service supports: <c>only</c>, <c>$select</c>, <c>$top</c> and <c>$skip</c>
/// (advertised in ServiceRoot.ProtocolFeaturesSupported). Any other <c>$</c> parameter, and <c>excerpt</c> or
/// <c>$expand</c>, is answered 501; other unknown parameters are ignored, as the specification asks.
/// </summary>
public sealed record QueryOptions(bool Only, IReadOnlyList<string>? Select, int? Top, int? Skip)
{
    public static readonly QueryOptions None = new(false, null, null, null);

    public bool IsEmpty => !Only && Select is null && Top is null && Skip is null;

    public static (QueryOptions Options, RedfishMessage? Error) Parse(IQueryCollection query)
    {
        if (query.Count == 0)
        {
            return (None, null);
        }
        bool only = false;
        List<string>? select = null;
        int? top = null, skip = null;
        foreach (var (key, values) in query)
        {
            var value = values.ToString();
            switch (key)
            {
                case "only":
                    if (value.Length > 0)
                    {
                        return (None, BaseMessages.QueryParameterValueFormatError(value, key)); // `only` takes no value
                    }
                    only = true;
                    break;
                case "$select":
                    select = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
                    if (select.Count == 0)
                    {
                        return (None, BaseMessages.QueryParameterValueFormatError(value, key));
                    }
                    break;
                case "$top" or "$skip":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                    {
                        return (None, BaseMessages.QueryParameterValueTypeError(value, key));
                    }
                    if (key == "$top") top = n; else skip = n;
                    break;
                case "excerpt":
                    return (None, BaseMessages.QueryParameterUnsupported(key));
                default:
                    if (key.StartsWith('$'))
                    {
                        return (None, BaseMessages.QueryParameterUnsupported(key));
                    }
                    break; // unknown non-$ parameters are ignored (DSP0266 §7.3)
            }
        }
        var options = new QueryOptions(only, select, top, skip);
        if (only && (select is not null || top is not null || skip is not null))
        {
            return (None, BaseMessages.QueryCombinationInvalid());
        }
        return (options, null);
    }
}
