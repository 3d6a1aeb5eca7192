// Applies one role assignment at the scope of the subscription this module is deployed to.
// The name, role and principal are decided in infra/rbac.bicep (the one place).

targetScope = 'subscription'

metadata name = 'Lifeboat subscription role assignment'
metadata description = 'One role assignment at subscription scope.'

@description('Required. Role assignment name (a GUID computed in rbac.bicep).')
param name string

@description('Required. Full resource id of the role definition.')
param roleDefinitionId string

@description('Required. Principal id of the managed identity.')
param principalId string

@description('Optional. What the assignment is for (shown in the portal).')
param assignmentDescription string = 'Lifeboat: ARM actions its code performs (shared/azure/actions.py).'

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: name
  properties: {
    roleDefinitionId: roleDefinitionId
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: assignmentDescription
  }
}
