from django.db import models


class ComponentCategory(models.Model):
    slug = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    icon = models.CharField(max_length=64, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "slug"]
        verbose_name_plural = "component categories"

    def __str__(self) -> str:
        return self.name


class ComponentTemplate(models.Model):
    """A node type of the catalog (copied from components/catalog.py by a data migration)."""

    type = models.CharField(max_length=40, unique=True)
    category = models.ForeignKey(ComponentCategory, on_delete=models.PROTECT, related_name="templates")
    label = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    icon = models.CharField(max_length=64, blank=True)
    config_schema = models.JSONField(default=dict)
    outputs = models.JSONField(default=dict)
    blocking = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "type"]

    def __str__(self) -> str:
        return self.type


class ComponentInstance(models.Model):
    """A node of a flow's draft graph."""

    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="nodes")
    node_id = models.CharField(max_length=100)
    type = models.CharField(max_length=40)
    label = models.CharField(max_length=200, blank=True)
    position_x = models.FloatField(default=0)
    position_y = models.FloatField(default=0)
    config = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["flow", "node_id"], name="node_id_unique_in_flow")]

    def __str__(self) -> str:
        return f"{self.node_id} ({self.type})"


class ComponentConnection(models.Model):
    """An edge of a flow's draft graph: from a source node's handle to a target node."""

    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="edges")
    edge_id = models.CharField(max_length=100)
    source = models.ForeignKey(ComponentInstance, on_delete=models.CASCADE, related_name="outgoing")
    source_handle = models.CharField(max_length=64)
    target = models.ForeignKey(ComponentInstance, on_delete=models.CASCADE, related_name="incoming")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "edge_id"], name="edge_id_unique_in_flow"),
            models.UniqueConstraint(fields=["source", "source_handle"], name="one_edge_per_handle"),
        ]

    def __str__(self) -> str:
        return self.edge_id


class ComponentVariable(models.Model):
    """A variable of a flow and where it is used, kept in sync with every graph write."""

    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="variable_usages")
    name = models.CharField(max_length=64)
    default = models.JSONField(null=True, blank=True)
    declared = models.BooleanField(default=True)
    read_by = models.JSONField(default=list, blank=True)
    written_by = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["flow", "name"], name="variable_name_unique_in_flow")]

    def __str__(self) -> str:
        return self.name
