namespace OpenChami.VirtualBmc.Slots.Images;

/// <summary>
/// Where one slot's runtime state lives: <c>&lt;stateDirectory&gt;/slots/&lt;slot&gt;/</c>. Fixed names, so the domain
/// renderer, the disk provisioner and an operator reading the host all agree without any lookup.
/// </summary>
public sealed record SlotStorage(string SlotDirectory)
{
    /// <summary>The mode of the state directories the service makes: its own, readable by its group (QEMU is in it).</summary>
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;

    public static SlotStorage For(string stateDirectory, string slotName)
    {
        if (!Path.IsPathFullyQualified(stateDirectory))
        {
            throw new ArgumentException($"state directory '{stateDirectory}' is not an absolute path", nameof(stateDirectory));
        }
        return new SlotStorage(Path.Combine(stateDirectory, "slots", slotName));
    }

    /// <summary>The slot's root disk: a qcow2 overlay whose backing file is the verified, cached catalog image.</summary>
    public string RootDisk => Path.Combine(SlotDirectory, "root.qcow2");

    /// <summary>The slot's local NoCloud seed (ISO 9660, volume label <c>cidata</c>), when the template asks for one.</summary>
    public string Seed => Path.Combine(SlotDirectory, "seed.iso");

    /// <summary>A UEFI slot's NVRAM (its firmware's variable store): libvirt makes it from the firmware's template at the first start.</summary>
    public string Nvram => Path.Combine(SlotDirectory, "nvram.fd");
}
