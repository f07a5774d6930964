from django.db import migrations


def measure_graphs(apps, schema_editor):
    """Fill Flow.graph_bytes for flows saved before it existed, as graph_save measures it."""
    from components.graph import graph_json_bytes

    Flow = apps.get_model("flows", "Flow")
    ComponentInstance = apps.get_model("components", "ComponentInstance")
    ComponentConnection = apps.get_model("components", "ComponentConnection")
    for flow in Flow.objects.only("pk", "variables").iterator(chunk_size=200):
        nodes = []
        for node_id, type_name, label, x, y, config in ComponentInstance.objects.filter(flow_id=flow.pk).values_list(
            "node_id", "type", "label", "position_x", "position_y", "config"
        ):
            node = {"id": node_id, "type": type_name, "position": {"x": x, "y": y}, "data": config}
            if label:
                node["label"] = label
            nodes.append(node)
        edges = [
            {"id": e, "source": s, "source_handle": h, "target": t}
            for e, s, h, t in ComponentConnection.objects.filter(flow_id=flow.pk).values_list(
                "edge_id", "source__node_id", "source_handle", "target__node_id"
            )
        ]
        variables = [{"name": v["name"], "default": v.get("default")} for v in flow.variables]
        size = graph_json_bytes({"nodes": nodes, "edges": edges, "variables": variables})
        Flow.objects.filter(pk=flow.pk).update(graph_bytes=size)


class Migration(migrations.Migration):
    dependencies = [("components", "0002_catalog"), ("flows", "0005_flow_graph_bytes")]

    operations = [migrations.RunPython(measure_graphs, migrations.RunPython.noop)]
