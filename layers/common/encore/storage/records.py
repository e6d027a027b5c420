"""The items the repositories take and return, and their keys.

For now they are the PynamoDB models of ``encore.models`` (a later step moves that module
here). Domain code names them from this module only, never from ``encore.models``: what it
does with an item goes through a repository, so swapping the models for plain records later
touches storage alone.
"""

from encore.models import (
    Cart,
    CartLineAttribute,
    ConsentAttribute,
    Coupon,
    Customer,
    Message,
    Order,
    Product,
    customer_key,
    order_display_name,
)

__all__ = [
    "Cart",
    "CartLineAttribute",
    "ConsentAttribute",
    "Coupon",
    "Customer",
    "Message",
    "Order",
    "Product",
    "customer_key",
    "order_display_name",
]
