using System.Text;

namespace OpenChami.VirtualBmc.Server.Audit;

/// <summary>An audit record and where its line starts in the file (its stable id while the file is not rotated).</summary>
public sealed record AuditLine(long Offset, AuditRecord Record);

/// <summary>
/// The newest records of the audit file, read backwards from its end in blocks, so memory stays bounded however large
/// the file grew: at most <see cref="MaxTailBytes"/> are read. A last line without its newline (being written) is left out.
/// </summary>
public static class AuditTail
{
    public const int MaxTailBytes = 4 * 1024 * 1024;
    public const int MaxLineBytes = 64 * 1024;
    private const int Block = 64 * 1024;

    /// <summary>The newest records that <paramref name="keep"/> accepts, at most <paramref name="count"/>, oldest first.</summary>
    public static IReadOnlyList<AuditLine> Read(string path, int count, Func<AuditRecord, bool> keep)
    {
        using var file = Open(path);
        if (file is null)
        {
            return [];
        }
        var length = file.Length;
        var found = new List<AuditLine>();
        var carry = Array.Empty<byte>(); // the bytes of a line whose start is in a block not read yet
        var trailingDropped = false;
        var position = length;
        while (position > 0 && found.Count < count && length - position < MaxTailBytes)
        {
            var size = (int)Math.Min(Block, position);
            position -= size;
            var buffer = new byte[size + carry.Length];
            file.Position = position;
            file.ReadExactly(buffer, 0, size);
            carry.CopyTo(buffer, size);
            var end = buffer.Length; // where the content of the line being looked at ends (its newline)
            if (!trailingDropped)
            {
                // What follows the file's last newline is a line still being written.
                end = Array.LastIndexOf(buffer, (byte)'\n');
                if (end < 0)
                {
                    carry = buffer;
                    continue;
                }
                trailingDropped = true;
            }
            while (found.Count < count && end > 0 && Array.LastIndexOf(buffer, (byte)'\n', end - 1) is var newline and >= 0)
            {
                Add(buffer, newline + 1, end, position, keep, found);
                end = newline;
            }
            if (position == 0 && found.Count < count)
            {
                Add(buffer, 0, end, 0, keep, found);
            }
            carry = buffer[..end];
        }
        found.Reverse();
        return found;
    }

    private static void Add(byte[] buffer, int start, int end, long bufferOffset, Func<AuditRecord, bool> keep, List<AuditLine> found)
    {
        if (end > start && AuditRecords.Parse(Encoding.UTF8.GetString(buffer, start, end - start)) is { } record && keep(record))
        {
            found.Add(new AuditLine(bufferOffset + start, record));
        }
    }

    /// <summary>The record whose line starts at <paramref name="offset"/>; null when no line starts there.</summary>
    public static AuditLine? ReadAt(string path, long offset)
    {
        using var file = Open(path);
        if (file is null || offset < 0 || offset >= file.Length)
        {
            return null;
        }
        if (offset > 0)
        {
            file.Position = offset - 1;
            if (file.ReadByte() != '\n')
            {
                return null;
            }
        }
        var buffer = new byte[(int)Math.Min(MaxLineBytes, file.Length - offset)];
        file.Position = offset;
        file.ReadExactly(buffer);
        var newline = Array.IndexOf(buffer, (byte)'\n');
        return newline > 0 && AuditRecords.Parse(Encoding.UTF8.GetString(buffer, 0, newline)) is { } record ? new AuditLine(offset, record) : null;
    }

    private static FileStream? Open(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
