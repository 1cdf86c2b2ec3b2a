using System.Collections;
using System.Reflection;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Server.Hosting;

/// <summary>
/// Structural equality of configuration values: records are compared property by property and lists and maps
/// element by element (a record's own Equals compares its lists by reference, so two loads of the same file always
/// differ). Source locations are left out: moving a line changes nothing the service does.
/// </summary>
public static class ValueEquality
{
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2075",
        Justification = "Only called on the catalog's records (OpenChami.VirtualBmc.Slots), whose assembly the server roots for the native build (TrimmerRootAssembly), so their public properties are all there; packaging/test-deb.sh checks a reload that compares them on the shipped binary.")]
    public static bool Equal(object? a, object? b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }
        if (a is null || b is null || a.GetType() != b.GetType())
        {
            return false;
        }
        var type = a.GetType();
        if (a is string || type.IsPrimitive || type.IsEnum || a is IEquatable<System.Net.IPAddress> || type.Namespace?.StartsWith("System", StringComparison.Ordinal) == true && a is not IEnumerable)
        {
            return a.Equals(b);
        }
        if (a is IDictionary left)
        {
            var right = (IDictionary)b;
            return left.Count == right.Count && left.Keys.Cast<object>().All(k => right.Contains(k) && Equal(left[k], right[k]));
        }
        if (a is IEnumerable first)
        {
            var x = first.Cast<object?>().ToList();
            var y = ((IEnumerable)b).Cast<object?>().ToList();
            return x.Count == y.Count && x.Zip(y).All(p => Equal(p.First, p.Second));
        }
        return type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.PropertyType != typeof(SourceLocation) && p.Name != "EqualityContract")
            .All(p => Equal(p.GetValue(a), p.GetValue(b)));
    }
}
