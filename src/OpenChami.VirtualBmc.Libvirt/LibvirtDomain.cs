using System.Globalization;
using System.Runtime.InteropServices;
using OpenChami.VirtualBmc.Libvirt.Native;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Libvirt;

/// <summary>A libvirt domain handle. Every method is a blocking libvirt call that throws <see cref="LibvirtException"/>.</summary>
internal sealed unsafe class LibvirtDomain : IDisposable
{
    public const int MetadataElement = 2;
    public const uint AffectLive = 1;
    public const uint AffectConfig = 2;
    public const uint XmlInactive = 2;
    public const uint UndefineManagedSave = 1;
    public const uint UndefineNvram = 4;

    private readonly DomainHandle _handle;

    internal DomainHandle Handle => _handle;

    internal LibvirtDomain(DomainHandle handle)
    {
        _handle = handle;
        var raw = handle.DangerousGetHandle();
        Name = Marshal.PtrToStringUTF8(NativeMethods.virDomainGetName(raw)) ?? "";
        var buffer = stackalloc byte[37];
        Errors.Check(NativeMethods.virDomainGetUUIDString(raw, buffer), "virDomainGetUUIDString");
        Uuid = Guid.Parse(Marshal.PtrToStringUTF8((IntPtr)buffer)!, CultureInfo.InvariantCulture);
    }

    public string Name { get; }

    public Guid Uuid { get; }

    public void Create() => Errors.Check(NativeMethods.virDomainCreate(_handle), "virDomainCreate");

    /// <summary>VIR_DOMAIN_START_RESET_NVRAM (libvirt 8.1+): the NVRAM is recreated from its template. The test driver refuses it.</summary>
    public const uint StartResetNvram = 0x20;

    /// <summary>VIR_DOMAIN_START_PAUSED: QEMU is launched (firmware chosen, NVRAM made) but no vCPU runs.</summary>
    public const uint StartPaused = 0x1;

    public void Create(uint flags) => Errors.Check(NativeMethods.virDomainCreateWithFlags(_handle, flags), "virDomainCreateWithFlags");

    public void Destroy() => Errors.Check(NativeMethods.virDomainDestroy(_handle), "virDomainDestroy");

    public void Shutdown() => Errors.Check(NativeMethods.virDomainShutdown(_handle), "virDomainShutdown");

    public void Reboot() => Errors.Check(NativeMethods.virDomainReboot(_handle, 0), "virDomainReboot");

    public void Reset() => Errors.Check(NativeMethods.virDomainReset(_handle, 0), "virDomainReset");

    public void InjectNmi() => Errors.Check(NativeMethods.virDomainInjectNMI(_handle, 0), "virDomainInjectNMI");

    /// <summary>Undefines the persistent config (a running domain keeps running as a transient one).</summary>
    public void Undefine(bool removeNvram) =>
        Errors.Check(NativeMethods.virDomainUndefineFlags(_handle, UndefineManagedSave | (removeNvram ? UndefineNvram : 0)), "virDomainUndefineFlags");

    /// <summary>The id of the current run; uint.MaxValue when the domain is not running.</summary>
    public uint RunId => NativeMethods.virDomainGetID(_handle);

    public (DomainRunState State, int Reason) GetState()
    {
        Errors.Check(NativeMethods.virDomainGetState(_handle, out var state, out var reason, 0), "virDomainGetState");
        return ((DomainRunState)state, reason);
    }

    public DomainInfo GetInfo()
    {
        Errors.Check(NativeMethods.virDomainGetInfo(_handle, out var info), "virDomainGetInfo");
        return new DomainInfo((DomainRunState)info.State, (ulong)info.MaxMemKiB, (ulong)info.MemoryKiB, info.VirtualCpus, info.CpuTimeNs);
    }

    /// <summary>The domain XML; <paramref name="inactive"/> gives the persistent config (what the next start uses).</summary>
    public string GetXmlDesc(bool inactive = false) =>
        NativeMethods.TakeString(NativeMethods.virDomainGetXMLDesc(_handle, inactive ? XmlInactive : 0))
        ?? throw Errors.Last("virDomainGetXMLDesc");

    /// <summary>Sets (or with null removes) the metadata element of namespace <paramref name="uri"/>.</summary>
    public void SetMetadata(string? xml, string key, string uri, uint flags = AffectConfig) =>
        Errors.Check(NativeMethods.virDomainSetMetadata(_handle, MetadataElement, xml, xml is null ? null : key, uri, flags), "virDomainSetMetadata");

    /// <summary>The metadata element of namespace <paramref name="uri"/>, or null when the domain has none.</summary>
    public string? GetMetadata(string uri, uint flags = AffectConfig)
    {
        var p = NativeMethods.virDomainGetMetadata(_handle, MetadataElement, uri, flags);
        if (p != IntPtr.Zero)
        {
            return NativeMethods.TakeString(p);
        }
        var error = Errors.Last("virDomainGetMetadata");
        return error.Code == LibvirtErrorCode.NoDomainMetadata ? null : throw error;
    }

    public void UpdateDevice(string deviceXml, uint flags) =>
        Errors.Check(NativeMethods.virDomainUpdateDeviceFlags(_handle, deviceXml, flags), "virDomainUpdateDeviceFlags");

    public void Dispose() => _handle.Dispose();
}

internal sealed record DomainInfo(DomainRunState State, ulong MaxMemoryKiB, ulong MemoryKiB, int VirtualCpus, ulong CpuTimeNs);
