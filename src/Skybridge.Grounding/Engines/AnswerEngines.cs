using System.ClientModel;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using Skybridge.Core.Manifests;

namespace Skybridge.Grounding.Engines;

/// <summary>Makes the answer engine a manifest names, always behind <see cref="IChatClient"/>.</summary>
public static class AnswerEngines
{
    /// <summary>Where an OpenAI-compatible endpoint's API key comes from: never the manifest.</summary>
    public const string ApiKeyVariable = "SKYBRIDGE_MODEL_API_KEY";

    /// <summary>The structured output every remote engine is asked for (JSON schema of <see cref="EngineAnswer"/>).</summary>
    public static readonly ChatResponseFormat AnswerFormat = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse("""
        {
          "type": "object",
          "properties": {
            "claims": {
              "type": "array",
              "items": {
                "type": "object",
                "properties": {
                  "text": { "type": "string" },
                  "citations": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "properties": { "passage": { "type": "string" }, "quote": { "type": "string" } },
                      "required": ["passage", "quote"], "additionalProperties": false
                    }
                  }
                },
                "required": ["text", "citations"], "additionalProperties": false
              }
            }
          },
          "required": ["claims"], "additionalProperties": false
        }
        """).RootElement, "grounded_answer", "Claims, each citing passages with verbatim quotes.");

    /// <summary>
    /// The engine for <paramref name="model"/>: the built-in extractive engine, or an OpenAI-compatible endpoint
    /// (vLLM, Ollama, Azure OpenAI, OpenAI) through Microsoft.Extensions.AI's OpenAI provider.
    /// </summary>
    public static IChatClient Create(ModelSettings model, string? apiKey = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Provider == ModelProvider.BuiltinExtractive)
        {
            return new ExtractiveChatClient();
        }

        var endpoint = model.Endpoint ?? throw new InvalidOperationException("The manifest names no model endpoint.");
        var key = apiKey ?? Environment.GetEnvironmentVariable(ApiKeyVariable) ?? "none";
        var client = new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = endpoint });
        return client.GetChatClient(model.Model ?? "default").AsIChatClient();
    }

    /// <summary>A short name for the engine in drafts and the ledger.</summary>
    public static string NameOf(ModelSettings model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Provider == ModelProvider.BuiltinExtractive ? ExtractiveChatClient.Name : $"openai-compatible:{model.Model ?? "default"}@{model.Endpoint?.Host}";
    }
}
