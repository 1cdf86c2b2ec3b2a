using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Media;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Slots.Images;

public enum EnsureOutcome
{
    /// <summary>The slot names no image: no root disk (it boots from the network).</summary>
    Diskless,
    /// <summary>The slot's root disk was there and was left as it is.</summary>
    Existing,
    /// <summary>A fresh overlay was made on the verified base image.</summary>
    Created,
}

public sealed record EnsureResult(string Slot, EnsureOutcome Outcome, string? RootDisk, BaseImage? Base, bool SeedWritten);

/// <param name="OldOverlay">The overlay that was replaced (null when the slot had none).</param>
/// <param name="PowerBefore">The power state before; the slot is Off afterwards.</param>
/// <param name="SeedProblem">Why the local seed could not be rewritten (the disk was still replaced); null when fine.</param>
public sealed record ReimageResult(string Slot, string RootDisk, OverlayInfo? OldOverlay, BaseImage Base, PowerState PowerBefore, bool SeedWritten, string? SeedProblem);

public sealed record DeleteStateResult(string Slot, PowerState PowerBefore, IReadOnlyList<string> Removed);

/// <summary>What a slot's disk state is, read without changing anything.</summary>
/// <param name="Overlay">The root overlay's header when the file exists and is a qcow2 overlay.</param>
/// <param name="Problem">Why the root disk is unusable (not an overlay, base image missing); null when fine or absent.</param>
public sealed record SlotDisk(string Slot, string? Image, string RootDisk, bool RootDiskExists, long AllocatedBytes, OverlayInfo? Overlay, string? Problem, string Seed, bool SeedExists);

/// <summary>The image catalog as read for one operation: its entries, or why it could not be read.</summary>
public sealed record CatalogLookup(string? Source, IReadOnlyList<CatalogImage>? Images, string? Error)
{
    public bool Configured => Source is not null;

    public CatalogImage? Find(string name) => Images?.FirstOrDefault(i => i.Name == name);
}

/// <summary>
/// A slot's root disk and local seed, kept in <see cref="SlotStorage"/>: a qcow2 overlay on the verified, cached catalog
/// image. <see cref="EnsureAsync"/> makes what is missing and never overwrites; <see cref="ReimageAsync"/> replaces the
/// overlay with a fresh one (the new one is complete on disk before the slot is powered off and it is renamed over
/// the old one; any failure before that rename leaves the old disk and the power state as they were);
/// <see cref="DeleteStateAsync"/> removes the slot's disk and seed. Identity (UUID, serial, MACs) is derived from the
/// configuration and never touched. Every operation runs in the slot's turn of the shared <see cref="SlotSerializer"/>,
/// so a power action never interleaves with it.
/// </summary>
public sealed class SlotDiskProvisioner
{
    private readonly string _stateDirectory;
    private readonly IImageCatalog? _catalog;
    private readonly string? _catalogSource;
    private readonly IBaseImageStore _store;
    private readonly IOverlayWriter _overlays;
    private readonly ISeedImageWriter? _seeds;
    private readonly Func<Slot, NoCloudSeed>? _seedFor;
    private readonly SlotSerializer _serializer;

    /// <param name="stateDirectory">The host's state directory (absolute).</param>
    /// <param name="catalog">The image catalog; null when the host file configures none.</param>
    /// <param name="catalogSource">How the catalog is named in messages (its path or URL).</param>
    /// <param name="store">The base-image cache.</param>
    /// <param name="overlays">Writes and reads the overlays.</param>
    /// <param name="serializer">The per-slot serializer the slot runtime uses too.</param>
    /// <param name="seeds">Writes local NoCloud seeds; null: this host writes none.</param>
    /// <param name="seedFor">What a slot's local seed holds; needed with <paramref name="seeds"/>.</param>
    public SlotDiskProvisioner(string stateDirectory, IImageCatalog? catalog, string? catalogSource, IBaseImageStore store, IOverlayWriter overlays,
        SlotSerializer serializer, ISeedImageWriter? seeds = null, Func<Slot, NoCloudSeed>? seedFor = null)
    {
        if (!Path.IsPathFullyQualified(stateDirectory))
        {
            throw new ArgumentException($"state directory '{stateDirectory}' is not an absolute path", nameof(stateDirectory));
        }
        _stateDirectory = stateDirectory;
        _catalog = catalog;
        _catalogSource = catalog is null ? null : catalogSource ?? "image catalog";
        _store = store;
        _overlays = overlays;
        _serializer = serializer;
        _seeds = seedFor is null ? null : seeds;
        _seedFor = seedFor;
    }

    /// <summary>How long an operation waits for the slot's previous action.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public SlotStorage StorageOf(Slot slot) => SlotStorage.For(_stateDirectory, slot.Name);

    /// <summary>The base-image cache (for checks that look without fetching).</summary>
    public IBaseImageStore Store => _store;

    /// <summary>Reads the catalog once (null entries and the reason when it cannot be read).</summary>
    public async Task<CatalogLookup> LookupAsync(CancellationToken cancellationToken = default)
    {
        if (_catalog is null)
        {
            return new CatalogLookup(null, null, null);
        }
        try
        {
            return new CatalogLookup(_catalogSource, await _catalog.ListAsync(cancellationToken).ConfigureAwait(false), null);
        }
        catch (ImageCatalogException e)
        {
            return new CatalogLookup(_catalogSource, null, e.Message);
        }
    }

    /// <summary>
    /// Makes the slot's root overlay when missing; an existing overlay is left as it is (when its base image was lost
    /// from the cache it is fetched again by its checksum). The local seed, when the slot has one, is written every
    /// time: it is a pure function of the configuration (same bytes when nothing changed), so it follows the host file.
    /// Throws <see cref="DiskProvisioningException"/>.
    /// </summary>
    public Task<EnsureResult> EnsureAsync(Slot slot, CatalogLookup? lookup = null, CancellationToken cancellationToken = default) =>
        _serializer.RunAsync(slot.Name, BusyTimeout, async ct =>
        {
            var storage = PrepareDirectories(slot);
            var seedWritten = EnsureSeed(slot, storage, overwrite: true);
            if (slot.Image is null)
            {
                return new EnsureResult(slot.Name, EnsureOutcome.Diskless, null, null, seedWritten);
            }
            if (File.Exists(storage.RootDisk))
            {
                var existing = ReadOverlay(storage.RootDisk);
                if (!File.Exists(existing.BackingFile) || !_store.VerifyCached(existing.BackingFile))
                {
                    await RefetchBackingAsync(slot, existing, lookup, ct).ConfigureAwait(false);
                }
                return new EnsureResult(slot.Name, EnsureOutcome.Existing, storage.RootDisk, null, seedWritten);
            }
            var image = await ResolveAsync(slot, lookup, ct).ConfigureAwait(false);
            var baseImage = await FetchAsync(slot, image, ct).ConfigureAwait(false);
            var staged = Stage(storage, baseImage);
            try
            {
                _overlays.Replace(staged, storage.RootDisk);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _overlays.Remove(staged);
                throw new DiskProvisioningException(DiskErrorKind.LocalFailure, $"slot {slot.Name}: cannot put the root disk in place at {storage.RootDisk}: {e.Message}", e);
            }
            return new EnsureResult(slot.Name, EnsureOutcome.Created, storage.RootDisk, baseImage, seedWritten);
        }, cancellationToken);

    /// <summary>
    /// Gives the slot a fresh root overlay on its catalog image: resolve, fetch and verify the base, write the new overlay
    /// beside the old one; only then power the slot off (through <paramref name="runtime"/>, when it has one) and rename
    /// the new overlay over the old. The slot is left Off; its identity is unchanged. A failure before the rename leaves
    /// the old disk and the power state untouched.
    /// </summary>
    public Task<ReimageResult> ReimageAsync(Slot slot, ISlotRuntime? runtime, CancellationToken cancellationToken = default) =>
        _serializer.RunAsync(slot.Name, BusyTimeout, async ct =>
        {
            if (slot.Image is null)
            {
                throw new DiskProvisioningException(DiskErrorKind.Diskless, $"slot {slot.Name} names no image: it boots from the network and has no root disk to reimage");
            }
            var storage = PrepareDirectories(slot);
            var image = await ResolveAsync(slot, null, ct).ConfigureAwait(false);
            var baseImage = await FetchAsync(slot, image, ct).ConfigureAwait(false);
            OverlayInfo? old = null;
            if (File.Exists(storage.RootDisk))
            {
                try
                {
                    old = _overlays.Read(storage.RootDisk);
                }
                catch (InvalidDataException)
                {
                    // Not an overlay of ours: replaced all the same, which is what reimage asks for.
                }
            }
            var staged = Stage(storage, baseImage);
            var before = runtime?.PowerState ?? PowerState.Off;
            try
            {
                if (runtime is not null)
                {
                    // Unconditional: ForceOff of an Off slot does nothing, and the cached state may lag behind libvirt.
                    await runtime.ResetAsync(ResetType.ForceOff, ct).ConfigureAwait(false);
                }
            }
            catch
            {
                _overlays.Remove(staged);
                throw;
            }
            try
            {
                _overlays.Replace(staged, storage.RootDisk);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _overlays.Remove(staged);
                if (runtime is not null && before is PowerState.On or PowerState.PoweringOn)
                {
                    await TryPowerOnAsync(runtime).ConfigureAwait(false);
                }
                throw new DiskProvisioningException(DiskErrorKind.LocalFailure, $"slot {slot.Name}: cannot put the new root disk in place at {storage.RootDisk} (the old one is unchanged): {e.Message}", e);
            }
            string? seedProblem = null;
            var seedWritten = false;
            try
            {
                seedWritten = EnsureSeed(slot, storage, overwrite: true);
            }
            catch (DiskProvisioningException e)
            {
                seedProblem = e.Message;
            }
            return new ReimageResult(slot.Name, storage.RootDisk, old, baseImage, before, seedWritten, seedProblem);
        }, cancellationToken);

    /// <summary>
    /// Powers the slot off (when it has a runtime) and removes its runtime state: root overlay and local seed. The slot
    /// stays defined; it cannot be powered on until <see cref="EnsureAsync"/> (next start) or a reimage gives it a disk.
    /// </summary>
    public Task<DeleteStateResult> DeleteStateAsync(Slot slot, ISlotRuntime? runtime, CancellationToken cancellationToken = default) =>
        _serializer.RunAsync(slot.Name, BusyTimeout, async ct =>
        {
            var before = runtime?.PowerState ?? PowerState.Off;
            if (runtime is not null)
            {
                await runtime.ResetAsync(ResetType.ForceOff, ct).ConfigureAwait(false);
            }
            var storage = StorageOf(slot);
            var removed = new List<string>();
            try
            {
                foreach (var path in new[] { storage.RootDisk, StagedPath(storage), storage.Seed })
                {
                    if (_overlays.Remove(path))
                    {
                        removed.Add(path);
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DiskProvisioningException(DiskErrorKind.LocalFailure, $"slot {slot.Name}: cannot remove its state in {storage.SlotDirectory}: {e.Message}", e);
            }
            _store.Release(slot.Name);
            return new DeleteStateResult(slot.Name, before, removed);
        }, cancellationToken);

    /// <summary>The slot's disk state, read from the files (no lock, no fetch).</summary>
    public SlotDisk Describe(Slot slot)
    {
        var storage = StorageOf(slot);
        var file = new FileInfo(storage.RootDisk);
        OverlayInfo? overlay = null;
        string? problem = null;
        if (file.Exists)
        {
            try
            {
                overlay = _overlays.Read(storage.RootDisk);
                if (overlay is not null && !File.Exists(overlay.BackingFile))
                {
                    problem = $"base image {overlay.BackingFile} is missing";
                }
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                problem = $"not a readable qcow2 overlay: {e.Message}";
            }
        }
        return new SlotDisk(slot.Name, slot.Image, storage.RootDisk, file.Exists, file.Exists ? file.Length : 0, overlay, problem,
            storage.Seed, File.Exists(storage.Seed));
    }

    private SlotStorage PrepareDirectories(Slot slot)
    {
        var storage = StorageOf(slot);
        // Checked before anything is made (a link on the way would make the directories elsewhere) and after.
        RefuseOddPaths(slot, storage);
        try
        {
            // Slot directories are not world-readable: a guest's disk is its data.
            Directory.CreateDirectory(_stateDirectory, SlotStorage.DirectoryMode);
            Directory.CreateDirectory(Path.Combine(_stateDirectory, "slots"), SlotStorage.DirectoryMode);
            Directory.CreateDirectory(storage.SlotDirectory, SlotStorage.DirectoryMode);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DiskProvisioningException(DiskErrorKind.LocalFailure, $"slot {slot.Name}: cannot create {storage.SlotDirectory}: {e.Message}", e);
        }
        RefuseOddPaths(slot, storage);
        return storage;
    }

    /// <summary>A link, a foreign owner or a file of the wrong kind anywhere the slot's state is written: refused (<see cref="StatePath"/>).</summary>
    private void RefuseOddPaths(Slot slot, SlotStorage storage)
    {
        var refusal = StatePath.RefusalUnder(_stateDirectory, storage.SlotDirectory, StatePath.Kind.Directory)
            ?? StatePath.RefusalUnder(_stateDirectory, storage.RootDisk, StatePath.Kind.File)
            ?? StatePath.RefusalUnder(_stateDirectory, storage.Seed, StatePath.Kind.File);
        if (refusal is not null)
        {
            throw new DiskProvisioningException(DiskErrorKind.LocalFailure, $"slot {slot.Name}: state directory refused: {refusal}");
        }
    }

    private async Task<CatalogImage> ResolveAsync(Slot slot, CatalogLookup? lookup, CancellationToken cancellationToken)
    {
        var where = slot.ImageWhere is { } w ? $" ({w})" : "";
        if (_catalog is null)
        {
            throw new DiskProvisioningException(DiskErrorKind.NoCatalog,
                $"slot {slot.Name} names image '{slot.Image}'{where} but the host file has no images.catalog to resolve it");
        }
        lookup ??= await LookupAsync(cancellationToken).ConfigureAwait(false);
        if (lookup.Images is null)
        {
            throw new DiskProvisioningException(DiskErrorKind.CatalogUnavailable, $"image catalog {_catalogSource} cannot be read: {lookup.Error}");
        }
        return lookup.Find(slot.Image!) ?? throw new DiskProvisioningException(DiskErrorKind.UnknownImage,
            $"slot {slot.Name}: image '{slot.Image}'{where} is not in the image catalog {_catalogSource}");
    }

    private async Task<BaseImage> FetchAsync(Slot slot, CatalogImage image, CancellationToken cancellationToken)
    {
        try
        {
            return await _store.FetchAsync(image, slot.Name, cancellationToken).ConfigureAwait(false);
        }
        catch (ImageFetchException e)
        {
            throw new DiskProvisioningException(DiskErrorKind.FetchFailed, $"slot {slot.Name}: base image '{image.Name}' ({image.Where}): {e.Message}", e)
            {
                ImageSource = image.Source,
            };
        }
    }

    /// <summary>Base images are named by content: a lost one comes back from any catalog entry with the same checksum.</summary>
    private async Task RefetchBackingAsync(Slot slot, OverlayInfo existing, CatalogLookup? lookup, CancellationToken cancellationToken)
    {
        var sha = Path.GetFileNameWithoutExtension(existing.BackingFile);
        lookup ??= await LookupAsync(cancellationToken).ConfigureAwait(false);
        var entry = lookup.Images?.FirstOrDefault(i => i.Sha256 == sha);
        if (entry is not null)
        {
            var fetched = await FetchAsync(slot, entry, cancellationToken).ConfigureAwait(false);
            if (fetched.Path == existing.BackingFile)
            {
                return;
            }
        }
        throw new DiskProvisioningException(DiskErrorKind.BackingMissing,
            $"slot {slot.Name}: the root disk's base image {existing.BackingFile} is missing and no catalog entry has its checksum; the disk was left as it is (reimage the slot to start from a fresh disk)");
    }

    private OverlayInfo ReadOverlay(string path)
    {
        try
        {
            return _overlays.Read(path) ?? throw new FileNotFoundException("root disk vanished", path);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new DiskProvisioningException(DiskErrorKind.LocalFailure, $"root disk {path} is not a readable qcow2 overlay ({e.Message}); left as it is", e);
        }
    }

    private static string StagedPath(SlotStorage storage) => storage.RootDisk + ".new";

    /// <summary>Writes the new overlay beside the root disk; a leftover from an interrupted operation is discarded first.</summary>
    private string Stage(SlotStorage storage, BaseImage baseImage)
    {
        var staged = StagedPath(storage);
        try
        {
            _overlays.Remove(staged);
            _overlays.Create(staged, baseImage);
            return staged;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _overlays.Remove(staged);
            throw new DiskProvisioningException(DiskErrorKind.LocalFailure, $"cannot write the overlay {staged}: {e.Message}", e);
        }
    }

    private bool EnsureSeed(Slot slot, SlotStorage storage, bool overwrite)
    {
        if (_seeds is null || !slot.Template.CloudInit.LocalSeed || (!overwrite && File.Exists(storage.Seed)))
        {
            return false;
        }
        try
        {
            _seeds.Write(storage.Seed, _seedFor!(slot));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DiskProvisioningException(DiskErrorKind.LocalFailure, $"slot {slot.Name}: cannot write its seed {storage.Seed}: {e.Message}", e);
        }
    }

    private static async Task TryPowerOnAsync(ISlotRuntime runtime)
    {
        try
        {
            await runtime.ResetAsync(ResetType.On).ConfigureAwait(false);
        }
        catch (SlotRuntimeException)
        {
            // Best effort: the caller reports the failure that matters (the rename).
        }
    }
}
