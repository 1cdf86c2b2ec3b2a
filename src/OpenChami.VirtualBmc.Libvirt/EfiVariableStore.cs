using System.Buffers.Binary;
using System.Text;

namespace OpenChami.VirtualBmc.Libvirt;

/// <summary>
/// A UEFI VM's NVRAM file as OVMF (edk2) keeps it: a firmware volume holding an authenticated variable store. Read, and
/// changed in the one way the BMC needs: a boot option with a URI device path plus <c>BootNext</c> naming it, so the
/// firmware's next boot — and only that one, as it deletes <c>BootNext</c> — is a UEFI HTTP boot from that URI
/// (Redfish <c>Boot.HttpBootUri</c>). libvirt has no element for it and Debian 12 packages no variable-store editor,
/// so this writes the format edk2 defines (MdeModulePkg/Include/Guid/VariableFormat.h): append a variable, mark the one
/// it replaces deleted, exactly as the firmware's own variable driver does; secure-boot variables are never touched.
/// </summary>
public sealed class EfiVariableStore
{
    /// <summary>The boot option number the BMC owns: Boot#### are the firmware's, this one is rewritten each time.</summary>
    public const ushort HttpBootOption = 0xB0C0;

    private const ushort StartId = 0x55AA;
    private const byte VarAdded = 0x3F;
    private const byte VarDeletedMask = 0xFC; // clears VAR_DELETED and VAR_IN_DELETED_TRANSITION, as edk2 does
    private const int HeaderSize = 60; // AUTHENTICATED_VARIABLE_HEADER
    private const int StoreHeaderSize = 28; // VARIABLE_STORE_HEADER
    private const uint NvBsRt = 0x7; // NON_VOLATILE | BOOTSERVICE_ACCESS | RUNTIME_ACCESS

    private static readonly Guid SystemNvDataFv = new("fff12b8d-7696-4c8b-a985-2747075b4f50");
    private static readonly Guid AuthenticatedVariables = new("aaf32c78-947b-439a-a180-2e144ec37792");

    /// <summary>EFI_GLOBAL_VARIABLE: Boot####, BootNext, BootOrder, PK, KEK.</summary>
    public static readonly Guid GlobalVariable = new("8be4df61-93ca-11d2-aa0d-00e098032b8c");

    private readonly byte[] _image;
    private readonly int _storeStart; // first variable
    private readonly int _storeEnd;

    private EfiVariableStore(byte[] image, int storeStart, int storeEnd)
    {
        _image = image;
        _storeStart = storeStart;
        _storeEnd = storeEnd;
    }

    /// <summary>One live variable.</summary>
    public sealed record Variable(string Name, Guid Vendor, uint Attributes, byte[] Data);

    /// <summary>Parses an OVMF NVRAM image; <see cref="FormatException"/> when it is not one this class understands.</summary>
    public static EfiVariableStore Parse(byte[] image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Length < 0x48 + StoreHeaderSize || Encoding.ASCII.GetString(image, 40, 4) != "_FVH" || new Guid(image.AsSpan(16, 16)) != SystemNvDataFv)
        {
            throw new FormatException("not an OVMF NVRAM image (no system NV data firmware volume header)");
        }
        var headerLength = BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(48));
        if (headerLength + StoreHeaderSize > image.Length)
        {
            throw new FormatException("NVRAM firmware volume header is longer than the file");
        }
        var store = image.AsSpan(headerLength);
        if (new Guid(store[..16]) != AuthenticatedVariables)
        {
            throw new FormatException("NVRAM variable store is not an authenticated variable store (the format OVMF's 4 MiB builds use)");
        }
        var size = BinaryPrimitives.ReadUInt32LittleEndian(store[16..]);
        if (store[20] != 0x5A || store[21] != 0xFE)
        {
            throw new FormatException("NVRAM variable store is not formatted and healthy");
        }
        if (size < StoreHeaderSize || headerLength + (long)size > image.Length)
        {
            throw new FormatException($"NVRAM variable store size {size} does not fit the file");
        }
        return new EfiVariableStore(image, headerLength + StoreHeaderSize, headerLength + (int)size);
    }

    /// <summary>The image, with any changes made.</summary>
    public byte[] ToArray() => (byte[])_image.Clone();

    /// <summary>The live (added, not deleted) variables in store order.</summary>
    public IReadOnlyList<Variable> Variables() =>
        [.. Entries().Where(e => e.Live).Select(e => new Variable(e.Name, e.Vendor, e.Attributes, _image.AsSpan(e.DataOffset, e.DataSize).ToArray()))];

    /// <summary>A live variable's data, or null.</summary>
    public byte[]? Get(string name, Guid vendor) => Variables().LastOrDefault(v => v.Name == name && v.Vendor == vendor)?.Data;

    /// <summary>
    /// Makes the next boot a UEFI HTTP boot from <paramref name="uri"/>: Boot<see cref="HttpBootOption"/> with a short-form
    /// URI device path (edk2's boot manager hands it to whichever network interface's HTTP boot answers it) and BootNext
    /// naming it. Deleted variables are reclaimed first when the store has no room.
    /// </summary>
    public void SetHttpBootNext(string uri)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https") || uri.Any(c => c > 0x7E || c < 0x21))
        {
            throw new ArgumentException($"'{uri}' is not an absolute http(s) URI in printable ASCII", nameof(uri));
        }
        var uriBytes = Encoding.ASCII.GetBytes(uri);
        if (uriBytes.Length > 4096)
        {
            throw new ArgumentException("the URI is longer than 4096 bytes", nameof(uri));
        }
        var option = $"Boot{HttpBootOption:X4}";
        Set(option, LoadOption("OpenCHAMI Virtual BMC HTTP boot", UriDevicePath(uriBytes)));
        var next = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(next, HttpBootOption);
        Set("BootNext", next);
    }

    private void Set(string name, byte[] data)
    {
        var nameBytes = Encoding.Unicode.GetBytes(name + "\0");
        var length = HeaderSize + nameBytes.Length + data.Length;
        var end = EndOfVariables();
        if (end + length > _storeEnd)
        {
            Reclaim(except: name);
            end = EndOfVariables();
            if (end + length > _storeEnd)
            {
                throw new InvalidOperationException($"the NVRAM variable store has no room for {name} ({length} bytes) even after reclaiming deleted variables");
            }
        }
        else
        {
            Delete(name);
        }
        var header = _image.AsSpan(end, HeaderSize);
        header.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(header, StartId);
        header[2] = VarAdded;
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], NvBsRt);
        // MonotonicCount, TimeStamp, PubKeyIndex stay zero: not an authenticated variable.
        BinaryPrimitives.WriteUInt32LittleEndian(header[36..], (uint)nameBytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[40..], (uint)data.Length);
        GlobalVariable.TryWriteBytes(header[44..]);
        nameBytes.CopyTo(_image, end + HeaderSize);
        data.CopyTo(_image, end + HeaderSize + nameBytes.Length);
    }

    private void Delete(string name)
    {
        foreach (var e in Entries().Where(e => e.Live && e.Name == name && e.Vendor == GlobalVariable))
        {
            _image[e.Offset + 2] &= VarDeletedMask;
        }
    }

    /// <summary>Rewrites the store with only its live variables (what the firmware's reclaim does), minus <paramref name="except"/>.</summary>
    private void Reclaim(string except)
    {
        var kept = Entries().Where(e => e.Live && !(e.Name == except && e.Vendor == GlobalVariable))
            .Select(e => _image.AsSpan(e.Offset, e.Length).ToArray()).ToList();
        _image.AsSpan(_storeStart, _storeEnd - _storeStart).Fill(0xFF);
        var at = _storeStart;
        foreach (var entry in kept)
        {
            entry.CopyTo(_image, at);
            at = Align(at + entry.Length);
        }
    }

    private int EndOfVariables() => Entries().Select(e => Align(e.Offset + e.Length)).DefaultIfEmpty(_storeStart).Max();

    private readonly record struct Entry(int Offset, int Length, bool Live, string Name, Guid Vendor, uint Attributes, int DataOffset, int DataSize);

    private IEnumerable<Entry> Entries()
    {
        var at = _storeStart;
        while (at + HeaderSize <= _storeEnd && BinaryPrimitives.ReadUInt16LittleEndian(_image.AsSpan(at)) == StartId)
        {
            var header = _image.AsSpan(at, HeaderSize);
            var nameSize = BinaryPrimitives.ReadUInt32LittleEndian(header[36..]);
            var dataSize = BinaryPrimitives.ReadUInt32LittleEndian(header[40..]);
            if (nameSize > int.MaxValue / 2 || dataSize > int.MaxValue / 2 || at + HeaderSize + (long)nameSize + dataSize > _storeEnd)
            {
                throw new FormatException($"NVRAM variable at offset {at} runs past the end of the store");
            }
            var state = header[2];
            var name = Encoding.Unicode.GetString(_image, at + HeaderSize, (int)nameSize).TrimEnd('\0');
            var length = HeaderSize + (int)nameSize + (int)dataSize;
            yield return new Entry(at, length, state is VarAdded or (VarAdded & 0xFE), name, new Guid(header.Slice(44, 16)),
                BinaryPrimitives.ReadUInt32LittleEndian(header[4..]), at + HeaderSize + (int)nameSize, (int)dataSize);
            at = Align(at + length);
        }
    }

    private static int Align(int offset) => (offset + 3) & ~3;

    /// <summary>EFI_LOAD_OPTION: LOAD_OPTION_ACTIVE, the device path's length, the description (UCS-2, NUL-ended), the path.</summary>
    private static byte[] LoadOption(string description, byte[] devicePath)
    {
        var text = Encoding.Unicode.GetBytes(description + "\0");
        var option = new byte[6 + text.Length + devicePath.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(option, 1);
        BinaryPrimitives.WriteUInt16LittleEndian(option.AsSpan(4), (ushort)devicePath.Length);
        text.CopyTo(option, 6);
        devicePath.CopyTo(option, 6 + text.Length);
        return option;
    }

    /// <summary>A messaging URI node (type 3, subtype 24; the URI without a terminator) and the end node.</summary>
    private static byte[] UriDevicePath(byte[] uri)
    {
        var path = new byte[4 + uri.Length + 4];
        path[0] = 3;
        path[1] = 24;
        BinaryPrimitives.WriteUInt16LittleEndian(path.AsSpan(2), (ushort)(4 + uri.Length));
        uri.CopyTo(path, 4);
        path[^4] = 0x7F;
        path[^3] = 0xFF;
        path[^2] = 4;
        return path;
    }

    /// <summary>The URI a load option's device path ends in, if it is a URI path (for tests and the audit trail).</summary>
    public static string? UriOf(byte[] loadOption)
    {
        ArgumentNullException.ThrowIfNull(loadOption);
        if (loadOption.Length < 6)
        {
            return null;
        }
        var pathLength = BinaryPrimitives.ReadUInt16LittleEndian(loadOption.AsSpan(4));
        var at = 6;
        while (at + 1 < loadOption.Length && (loadOption[at] != 0 || loadOption[at + 1] != 0))
        {
            at += 2;
        }
        at += 2;
        var end = Math.Min(loadOption.Length, at + pathLength);
        while (at + 4 <= end)
        {
            var (type, subtype, length) = (loadOption[at], loadOption[at + 1], BinaryPrimitives.ReadUInt16LittleEndian(loadOption.AsSpan(at + 2)));
            if (length < 4 || at + length > end)
            {
                return null;
            }
            if (type == 3 && subtype == 24)
            {
                return Encoding.ASCII.GetString(loadOption, at + 4, length - 4);
            }
            at += length;
        }
        return null;
    }
}
