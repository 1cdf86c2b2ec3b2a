using System.Text.Json;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Slots.Images;
using OpenChami.VirtualBmc.Slots.Runtime;
using OpenChami.VirtualBmc.Slots.State;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>How a slot write reads its body: an action's parameters, an action whose body may be empty, or a PATCH.</summary>
public enum BodyKind { Action, OptionalAction, Patch }

/// <summary>
/// What a slot write needs: its name (for messages), the resource type a missing slot is reported as, how its body is
/// read and checked, whether the slot must be usable or only its domain ours (the disk actions), and If-Match.
/// </summary>
public sealed record SlotWrite(string Name, string ResourceType, BodyKind Body, IReadOnlyList<BodyProperty> Properties, bool DomainOnly = false, bool IfMatch = true)
{
    /// <summary>Further checks of the body (every problem at once); run after the generic ones passed.</summary>
    public Func<JsonElement, SlotContext, IEnumerable<RedfishMessage>>? Check { get; init; }
}

/// <summary>The slot write as its handler sees it: the request, the slot, its body (an empty object when there was none), the VM.</summary>
public sealed record SlotRequest(HttpContext Context, SlotContext Slot, JsonElement Body, ISlotRuntime Machine)
{
    public CancellationToken Aborted => Context.RequestAborted;
}

/// <summary>
/// The one pipeline of slot handlers: find the slot (404) → read and check the body (400, every problem) → the slot
/// takes actions now (503 with Retry-After until its domain is reconciled; 409 when it is not usable) → If-Match (412)
/// → run → map the runtime's and the disks' failures to Base messages.
/// </summary>
public static class SlotRequests
{
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement;

    /// <summary>A read of the slot named by the route's {id}: 404 when this endpoint has no such slot; runtime failures mapped.</summary>
    public static async Task ReadAsync(HttpContext context, string resourceType, Func<SlotContext, Task> read, string key = "id")
    {
        if (await RequestScope.SlotAsync(context, resourceType, key) is not { } slot)
        {
            return;
        }
        try
        {
            await read(slot);
        }
        catch (SlotRuntimeException e)
        {
            await RedfishResponses.WriteErrorAsync(context, RuntimeErrors.ToMessage(e, slot, resourceType));
        }
    }

    /// <summary>
    /// A read of what the slot's VM definition says (its firmware settings, its secure boot): with the VM when its domain is
    /// ours; a slot without one (it failed validation before one was defined, or the domain is not ours) is read from its
    /// template (the read gets a null VM), as a crawl of a failed slot must still work. Only while libvirt is not reached
    /// is the answer "retry" (503): the definition exists but cannot be read.
    /// </summary>
    public static Task ReadDefinitionAsync(HttpContext context, SlotContext slot, Func<ISlotRuntime?, Task> read) =>
        RuntimeErrors.Refusal(slot, domainOnly: true) switch
        {
            null => read(slot.Machine),
            { } retry when slot.Health.Domain == DomainStatus.Unknown => RedfishResponses.WriteErrorAsync(context, retry),
            _ => read(null),
        };

    /// <summary>
    /// If-Match against a sub-resource's own representation (the pipeline's If-Match names the System): true when absent or
    /// equal; otherwise answers 412 and returns false.
    /// </summary>
    public static async Task<bool> IfMatchHoldsOrAnswerAsync<T>(HttpContext context, T current, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
    {
        if (context.Request.Headers.IfMatch.Count == 0
            || RedfishResponses.IfMatchHolds(context.Request, RedfishResponses.ETagOf(JsonSerializer.SerializeToUtf8Bytes(current, typeInfo))))
        {
            return true;
        }
        await RedfishResponses.WriteErrorAsync(context, BaseMessages.PreconditionFailed());
        return false;
    }

    public static async Task WriteAsync(HttpContext context, SlotWrite write, Func<SlotRequest, Task> run, SlotContext? slot = null)
    {
        slot ??= await RequestScope.SlotAsync(context, write.ResourceType);
        if (slot is null)
        {
            return;
        }
        var (document, problems) = await ReadBodyAsync(context, write);
        using (document)
        {
            // The write's own checks run on any body that parsed, so every problem is reported at once.
            if (document is not null && write.Check is { } check)
            {
                problems.AddRange(check(document?.RootElement ?? EmptyObject, slot));
            }
            if (problems.Count > 0)
            {
                await RedfishResponses.WriteErrorAsync(context, problems);
                return;
            }
            if (RuntimeErrors.Refusal(slot, write.DomainOnly) is { } refusal)
            {
                await RedfishResponses.WriteErrorAsync(context, refusal);
                return;
            }
            var request = new SlotRequest(context, slot, document?.RootElement ?? EmptyObject, slot.Machine!);
            try
            {
                if (write.IfMatch && !await IfMatchHoldsOrAnswerAsync(context, slot))
                {
                    return;
                }
                await run(request);
            }
            catch (SlotRuntimeException e)
            {
                await RedfishResponses.WriteErrorAsync(context, RuntimeErrors.ToMessage(e, slot, write.Name));
            }
            catch (DiskProvisioningException e)
            {
                await RedfishResponses.WriteErrorAsync(context, DiskErrors.ToMessages(e, write.Name, slot.Slot.Image));
            }
        }
    }

    private static async Task<(JsonDocument? Document, List<RedfishMessage> Problems)> ReadBodyAsync(HttpContext context, SlotWrite write)
    {
        if (write.Body == BodyKind.OptionalAction && context.Request.ContentLength is null or 0 && context.Request.Headers.TransferEncoding.Count == 0)
        {
            return (null, []);
        }
        var (document, error) = await JsonBody.ReadAsync(context.Request);
        if (error is not null)
        {
            return (null, [error]);
        }
        // From here the document is the caller's to dispose.
        var body = document!.RootElement;
        return (document, write.Body == BodyKind.Patch ? JsonBody.CheckPatch(body, write.Properties) : JsonBody.CheckAction(body, write.Name, write.Properties));
    }

    /// <summary>True when If-Match is absent or names the System's current ETag; otherwise answers 412 and returns false.</summary>
    private static async Task<bool> IfMatchHoldsOrAnswerAsync(HttpContext context, SlotContext slot)
    {
        if (context.Request.Headers.IfMatch.Count == 0)
        {
            return true;
        }
        var current = await SystemsResource.CurrentAsync(context, slot);
        if (RedfishResponses.IfMatchHolds(context.Request, current.ETag))
        {
            return true;
        }
        await RedfishResponses.WriteErrorAsync(context, BaseMessages.PreconditionFailed());
        return false;
    }
}
