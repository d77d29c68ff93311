import Foundation
import PackagePlugin

/// Converts `openapi/tn-payments.yaml` to JSON text in a generated Swift file of the `OpenAPIDocument` target, so the
/// one hand-written document is what the responder serves and nothing has to be kept in step by hand.
@main
struct OpenAPIDocumentPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let input = context.package.directoryURL.appending(path: "openapi/tn-payments.yaml")
        let output = context.pluginWorkDirectoryURL.appending(path: "OpenAPIDocument+JSON.swift")
        return [
            .buildCommand(
                displayName: "Embedding openapi/tn-payments.yaml",
                executable: try context.tool(named: "openapi-embed").url,
                arguments: [input.path, output.path],
                inputFiles: [input],
                outputFiles: [output])
        ]
    }
}
