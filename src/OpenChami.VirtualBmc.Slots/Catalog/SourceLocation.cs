namespace OpenChami.VirtualBmc.Slots.Catalog;

/// <summary>Where a value was written: file, 1-based line and column. Every configuration message carries one.</summary>
public sealed record SourceLocation(string File, int Line, int Column)
{
    public static SourceLocation StartOf(string file) => new(file, 1, 1);

    public override string ToString() => $"{File}:{Line}:{Column}";
}
